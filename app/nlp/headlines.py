"""Quotes in headlines (issue 20): the shapes a headline attributes in, as an ordered table of
rules over the headline's own ``Doc``; offsets index the title. Speakers are resolved against
the entities of the article's body afterwards (``with_headline``), as a headline's names are
short forms of the body's ("Blair" for "Tony Blair").

Safe shapes, each with its cases in ``tests/nlp/test_headlines.py``:
- ``Blair: 'We will not retreat'`` (a speaker, a colon, the words in quotation marks): direct;
  ``Minister: plan 'will fail'`` mixed; ``Merkel: Europe must act`` indirect when the speaker
  is a person or organisation (named in the headline or, for a name the model missed there,
  in the body) or a speaking body ("Police:"), and the words hold a verb;
- ``'Deal is dead,' says union`` / ``'Deal is dead', union says``: direct;
- ``Union says deal is dead``: a verb of saying with a clause after it: indirect.
Left out: labels before a colon (``The Latest:``, ``Analysis:``), a place before unquoted words
(``Iraq: the road to war``), verbs without a clause (``Obama says goodbye``) and stances
(``X endorses Y``), which headlines shorten past telling."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from spacy.tokens import Doc

from app.nlp.entities import EntityMention, extract_entities
from app.nlp.pipeline import Annotation, load_pipeline, recased_headline
from app.nlp.spans import QuoteSpan
from app.nlp.speakers import speaker_bounds, verb_lemma

# single marks count in headlines: British headlines quote with them (`Blair: 'We will …'`)
_OPEN = "'‘\"“"
_CLOSE = "'’\"”"
# an opening mark: at the start or after a space or bracket, before a word
_opening_re = re.compile(rf"(?:^|(?<=[\s(\[—–-]))[{_OPEN}](?=\w)")
_colon_re = re.compile(rf"^(?P<who>[^:{_OPEN}{_CLOSE}]{{2,60}}?)\s*:\s+(?P<what>\S.*?)\s*$")
_quote_first_re = re.compile(
    rf"^\s*[{_OPEN}](?P<q>.+?)[{_CLOSE}](?![\w])\s*[,:]?\s+(?P<rest>[^{_OPEN}{_CLOSE}]+?)"
    r"\s*[.!?]?\s*$"
)
_whole_quote_re = re.compile(rf"^[{_OPEN}](?P<q>.+)[{_CLOSE}][.!?]?$")
# words before a colon that label the story, not a speaker
_LABELS = frozenset(
    """the latest|latest|exclusive|analysis|live|watch|video|update|updated|breaking|
    in pictures|q&a|interview|review|opinion|comment|factbox|timeline|profile|obituary|quiz|
    explainer|in full|full text|transcript|in depth|fact check|fact-check|reality check|
    preview|report card|in quotes|podcast|letters|editorial|photos|gallery|recap""".replace(
        "\n", ""
    )
    .replace("    ", "")
    .split("|")
)
# nouns for those who speak as a body, without a name: "Police: …", "'…,' says union"
_SPEAKING_NOUNS = frozenset(
    """police union unions minister ministers government officials official mps mp pm
    president chancellor judge court report poll survey study doctors experts scientists
    teachers bank council committee spokesman spokeswoman boss chief coach manager
    campaigners residents workers""".split()
)
# verbs of saying whose clause a headline reports ("Union says deal is dead")
_CLAUSE_VERBS = frozenset(
    """say tell warn claim insist deny admit predict vow pledge promise confirm suggest
    argue announce concede declare state stress""".split()
)
_SPEAKER_LABELS = ("PERSON", "ORG", "GPE", "NORP")
# the rule of a colon headline whose unquoted words stand only if the body names the speaker
_NEEDS_BODY_NAME = "headline_colon_name"
_MAX_SPEAKER_WORDS = 6


@dataclass(frozen=True)
class Headline:
    """A headline's ``Doc`` and entities, for the rules."""

    doc: Doc
    mentions: Sequence[EntityMention]

    @property
    def text(self) -> str:
        return self.doc.text


Rule = Callable[[Headline], QuoteSpan | None]


def headline_quotes(pairs: Sequence[tuple[str, str]], *, model: str) -> list[tuple[QuoteSpan, ...]]:
    """The quotes of each (title, body) pair's headline, with title offsets and speakers
    resolved in the headline only (``with_headline`` resolves them in the article). An empty
    title has none; the body only tells how its words are written (a title in capitals or
    Title Case is read as the body writes each word)."""
    nlp = load_pipeline(model)
    wanted = [(i, recased_headline(nlp, title, body)) for i, (title, body) in enumerate(pairs)]
    wanted = [(i, text) for i, text in wanted if text.strip()]
    found: list[tuple[QuoteSpan, ...]] = [() for _ in pairs]
    docs = nlp.pipe([text for _, text in wanted])
    for (index, _), doc in zip(wanted, docs, strict=True):
        headline = Headline(doc, extract_entities(doc))
        quote = next((q for rule in RULES if (q := rule(headline)) is not None), None)
        if quote is not None:
            # the title as written, not as re-cased (same length, so the offsets hold)
            title = pairs[index][0]
            found[index] = (_as_written(quote, title),)
    return found


def _as_written(quote: QuoteSpan, title: str) -> QuoteSpan:
    speaker_text = (
        title[quote.speaker_start : quote.speaker_end]
        if quote.speaker_start is not None and quote.speaker_end is not None
        else None
    )
    return replace(quote, text=title[quote.start : quote.end], speaker_text=speaker_text)


def quote_first(h: Headline) -> QuoteSpan | None:
    """``'Deal is dead,' says union``, ``'Deal is dead', union says``."""
    match = _quote_first_re.match(h.text)
    if match is None:
        return None
    rest = match.group("rest")
    words = rest.split()
    if len(words) < 2 or len(words) > _MAX_SPEAKER_WORDS + 1:
        return None
    if verb_lemma(words[0]) is not None:
        cue, who_start = words[0], match.start("rest") + rest.index(words[1])
        who_end = match.end("rest")
    elif verb_lemma(words[-1]) is not None:
        cue, who_start = words[-1], match.start("rest")
        who_end = match.start("rest") + rest.rindex(words[-1])
        who_end = len(h.text[:who_end].rstrip())
    else:
        return None
    start, end = _trimmed(h.text, match.start("q"), match.end("q"))
    return _quote(h, start, end, "direct", cue, who_start, who_end, 0.9, "headline_quote_first")


def colon(h: Headline) -> QuoteSpan | None:
    """``Blair: 'We will not retreat'``; ``Minister: plan 'will fail'``; ``Smith: Prices will
    rise`` (unquoted words need a named person or organisation, or a speaking body)."""
    match = _colon_re.match(h.text)
    if match is None:
        return None
    who = match.group("who").strip()
    if who.casefold() in _LABELS or len(who.split()) > _MAX_SPEAKER_WORDS:
        return None
    who_start, who_end = match.start("who"), match.start("who") + len(who)
    named = [m for m in h.mentions if who_start <= m.start and m.end <= who_end]
    labels = {m.label for m in named if m.label in _SPEAKER_LABELS}
    speaking_body = who.split()[-1].casefold() in _SPEAKING_NOUNS
    # a name the headline's model missed ("Blair:"): capitalised words, for quoted words only
    name_like = all(word[:1].isupper() for word in who.split()) and len(who.split()) <= 4
    if not labels and not speaking_body and not name_like:
        return None
    what_start, what_end = match.start("what"), match.end("what")
    what = match.group("what")
    if whole := _whole_quote_re.match(what):
        start, end = _trimmed(h.text, what_start + whole.start("q"), what_start + whole.end("q"))
        kind, confidence = "direct", 0.9
    elif _opening_re.search(what):
        start, end = _trimmed(h.text, what_start, what_end, marks=False)
        kind, confidence = "mixed", 0.85
    else:
        if labels and not labels & {"PERSON", "ORG"}:
            return None  # "Iraq: the road to war"
        content = h.doc.char_span(what_start, what_end, alignment_mode="expand")
        if content is None or not any(t.pos_ in ("VERB", "AUX") for t in content):
            return None  # "Obama: the early years"
        start, end = _trimmed(h.text, what_start, what_end)
        kind, confidence = "indirect", 0.8
        if not labels and not speaking_body:
            # a name the model missed: kept only if the body names that person (with_headline)
            rule = _NEEDS_BODY_NAME
            return _quote(h, start, end, kind, ":", who_start, who_end, confidence, rule)
    return _quote(h, start, end, kind, ":", who_start, who_end, confidence, "headline_colon")


def says_clause(h: Headline) -> QuoteSpan | None:
    """``Union says deal is dead``: a verb of saying with its subject and a clause after it."""
    for verb in h.doc:
        if verb.pos_ not in ("VERB", "AUX") or verb_lemma(verb.text) not in _CLAUSE_VERBS:
            continue
        subject = next((c for c in verb.lefts if c.dep_ == "nsubj"), None)
        clause = next((c for c in verb.rights if c.dep_ == "ccomp"), None)
        if subject is None or clause is None:
            continue
        content = h.doc[clause.left_edge.i : clause.right_edge.i + 1]
        start, end = _trimmed(h.text, content.start_char, content.end_char)
        if _opening_re.search(h.text[start:end]):
            start, end = _trimmed(h.text, content.start_char, content.end_char, marks=False)
            kind = "mixed"
        else:
            kind = "indirect"
        who_start, who_end = speaker_bounds(subject)
        return _quote(h, start, end, kind, verb.text, who_start, who_end, 0.8, "headline_says")
    return None


# the rules in order; the first that finds a quote gives the headline's one quote
RULES: tuple[Rule, ...] = (quote_first, colon, says_clause)


def _trimmed(text: str, start: int, end: int, *, marks: bool = True) -> tuple[int, int]:
    """Bounds without spaces, a trailing comma or full stop, or (``marks``) quotation marks
    around them; mixed words keep their marks, which open and close inside them."""
    opening, closing = (_OPEN, _CLOSE) if marks else ("", "")
    while start < end and (text[start].isspace() or text[start] in opening):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",.;:" + closing):
        end -= 1
    return start, end


def _quote(
    h: Headline,
    start: int,
    end: int,
    kind: str,
    cue: str,
    who_start: int,
    who_end: int,
    confidence: float,
    rule: str,
) -> QuoteSpan | None:
    if end - start < 2 or not any(ch.isalpha() for ch in h.text[start:end]):
        return None
    who_start, who_end = _trimmed(h.text, who_start, who_end)
    mention = _mention_in(h, who_start, who_end)
    return QuoteSpan(
        text=h.text[start:end],
        start=start,
        end=end,
        kind=kind,
        cue=cue,
        speaker_text=h.text[who_start:who_end],
        speaker_start=who_start,
        speaker_end=who_end,
        speaker=mention,
        confidence=confidence,
        rule=rule,
    )


def _mention_in(h: Headline, start: int, end: int) -> EntityMention | None:
    """The speaker's mention: a person named in the phrase first, else any speaker entity."""
    inside = [m for m in h.mentions if start <= m.start and m.end <= end]
    inside = [m for m in inside if m.label in _SPEAKER_LABELS]
    people = [m for m in inside if m.label == "PERSON"]
    return next(iter(people or inside), None)


def with_headline(annotation: Annotation, quotes: Sequence[QuoteSpan]) -> Annotation:
    """The article's annotation with its headline quotes, each speaker resolved to the body's
    entity of that name, the body's only person of that surname ("Blair" → "Tony Blair"), or
    the body's only organisation named with the speaking noun ("union" → "Unison union"); else
    the headline's own mention, or none."""
    body = [m for m in annotation.entities if m.label in _SPEAKER_LABELS]
    resolved = [replace(q, speaker=_resolved(q, body)) for q in quotes]
    kept = tuple(q for q in resolved if q.speaker is not None or q.rule != _NEEDS_BODY_NAME)
    return replace(annotation, title_quotes=kept)


def _resolved(quote: QuoteSpan, body: Sequence[EntityMention]) -> EntityMention | None:
    own = quote.speaker
    if own is not None:
        same = [m for m in body if m.name == own.name]
        if same:
            return same[0]
        if own.label == "PERSON" and len(own.name.split()) == 1:
            full = {m.name: m for m in body if m.label == "PERSON" and _surname(m) == own.name}
            if len(full) == 1:
                return next(iter(full.values()))
        return own
    words = (quote.speaker_text or "").split()
    if not words:
        return None
    last = words[-1]
    if last[:1].isupper() and len(words) <= 3:
        # a name the headline's model missed: the body's only person of that surname
        full = {m.name: m for m in body if m.label == "PERSON" and _surname(m) == last}
        if len(full) == 1:
            return next(iter(full.values()))
    noun = last.casefold()
    if noun in _SPEAKING_NOUNS:
        orgs = {m.name: m for m in body if m.label == "ORG" and noun in m.name.casefold().split()}
        if len(orgs) == 1:
            return next(iter(orgs.values()))
    return None


def _surname(mention: EntityMention) -> str:
    return mention.name.split()[-1]
