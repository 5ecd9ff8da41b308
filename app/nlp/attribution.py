"""Who said a quotation: named, ordered rules over what each sees of it (``app.nlp.context``);
the first that finds a speaker gives the quote its name and confidence. To cover a construction,
add a function, its entry in ``RULES`` and a row to ``tests/nlp/test_attribution.py``."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from app.nlp.context import QuoteContext
from app.nlp.entities import EntityMention
from app.nlp.spans import NO_ATTRIBUTION, Attribution, sentences_of
from app.nlp.speakers import (
    SPEAKER_LABELS,
    Speaker,
    inside,
    is_according_to,
    is_speech_verb,
    phrase_speaker,
    resolve,
    speaker_of,
    subject_of,
    verb_lemma,
)

_DASHES = ("-", "–", "—")
_OBJECT_DEPS = frozenset("dobj dative iobj pobj".split())
_PERSONAL_PRONOUNS = frozenset({"he", "she", "they", "we", "i"})
# verbs that announce a quotation on their own ("X said in a statement.")
_SAY = frozenset("say add write tell state explain tweet post respond reply declare".split())


@dataclass(frozen=True)
class Rule:
    name: str
    confidence: float
    find: Callable[[QuoteContext], Speaker | None]
    # a quote that has a cue of its own is never a continuation of the one before
    only_without_cue: bool = False


def attribute(context: QuoteContext, rules: Sequence[Rule] | None = None) -> Attribution:
    """The first rule's speaker; a cue found without a speaker is kept with confidence 0."""
    cue_only: Attribution | None = None
    for rule in RULES if rules is None else rules:
        if rule.only_without_cue and cue_only is not None:
            continue
        found = rule.find(context)
        if found is None:
            continue
        if found.text is None:
            if cue_only is None:
                cue_only = Attribution(found.cue, None, None, None, None, 0.0, rule.name)
            continue
        return Attribution(
            found.cue,
            found.text,
            found.start,
            found.end,
            found.mention,
            rule.confidence,
            rule.name,
        )
    return cue_only or NO_ATTRIBUTION


# --- the rules --------------------------------------------------------------------------------


def cue_after_quote(c: QuoteContext) -> Speaker | None:
    """ "…," said Jane Doe / "…," she said / "…?" Trump asked / "…," Trump barked at reporters.

    The verb right after the closing mark, with its subject before or after it. A verb that
    is not a speech verb counts only after a comma, question or exclamation mark, where news
    style puts nothing but an attribution."""
    words = [t for t in c.tail if not (t.is_punct and t.text in (",", *_DASHES))]
    if not words or c.tail[0].is_punct and c.tail[0].text not in (",", *_DASHES):
        return None
    first = words[0]
    if verb_lemma(first.text) and first.pos_ in ("VERB", "AUX", "ADJ", "NOUN"):
        subject = (
            _subject_after(first, c) or subject_of(first, c.quoted) or _named_after_verb(first, c)
        )
        return _from_subject(first, subject, c)
    for token in words[:8]:
        if token.is_sent_start and token is not first:
            break
        if token.pos_ not in ("VERB", "AUX") or token.dep_ in ("aux", "auxpass", "relcl", "acl"):
            continue  # "Warren, who has not endorsed anyone, told reporters": not "endorsed"
        subject = next((s for s in token.children if s.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is None or not (first.i <= subject.i < token.i):
            break
        if c.ends_sentence and (not is_speech_verb(token) or token.i - first.i > 3):
            return None  # after a full stop only "…." Trump said / he added (short subjects)
        if c.ends_sentence and any(ch.dep_ in ("ccomp", "dobj", "xcomp") for ch in token.children):
            return None  # "…." He said the plan failed: a new statement, not a cue
        return _from_subject(token, subject, c)
    return _named_before_verb(c)


def _named_before_verb(c: QuoteContext) -> Speaker | None:
    """ "…," Butz, 49, told the paper / "…," Miller, a retired nurse, said: when the parse went
    astray, a short run of name words right before a speech verb, with at most one
    apposition between commas."""
    tail = list(c.tail)
    while tail and tail[0].is_punct:
        tail = tail[1:]
    if not tail or tail[0].idx - c.mark_end > 3:
        return None
    name: list[Token] = []
    state = "name"  # then "apposition", then "after" it
    for token in tail:
        if token.is_sent_start and name:
            return None
        if state != "apposition" and name and verb_lemma(token.text):
            return _chunk_speaker(token.text, name, c)
        if token.text == ",":
            if not name or state == "after":
                return None
            state = "apposition" if state == "name" else "after"
        elif state == "name":
            if token.pos_ not in ("PROPN", "NOUN", "PRON", "DET", "ADJ", "NUM"):
                return None
            name.append(token)
        elif state == "after" and token.pos_ != "ADV":
            return None
    return None


def _named_after_verb(verb: Token, c: QuoteContext) -> Token | None:
    """ "…," said Jim Bopp, a member …: the head of the words after an inverted verb when the
    parse gave it no subject."""
    head = None
    for token in verb.doc[verb.i + 1 : verb.i + 6]:
        if inside(token.idx, c.quoted) or token.is_punct or token.pos_ in ("ADP", "VERB", "AUX"):
            break
        if token.pos_ in ("PROPN", "NOUN"):
            head = token
    return head


def _label_speaker(words: list[Token], c: QuoteContext) -> Speaker:
    """A name written as a label: its mention, else the person of that surname named before."""
    start, end = words[0].idx, words[-1].idx + len(words[-1])
    text = c.text[start:end]
    mention = next((m for m in c.mentions if start <= m.start < end), None)
    if mention is None:
        people = [
            m
            for m in c.mentions
            if m.label == "PERSON" and m.end <= start and m.name.split()[-1] == text
        ]
        mention = people[-1] if people else None
    return Speaker(None, text, start, end, mention)


def _chunk_speaker(cue: str, chunk: list[Token], c: QuoteContext) -> Speaker:
    start, end = chunk[0].idx, chunk[-1].idx + len(chunk[-1])
    head = next((t for t in reversed(chunk) if t.pos_ in ("PROPN", "PRON", "NOUN")), chunk[-1])
    mention = resolve(head, start, end, c.mentions, c.quoted)
    return Speaker(cue, c.text[start:end], start, end, mention)


def cue_before_quote(c: QuoteContext) -> Speaker | None:
    """Jane Doe said: "…" / She told reporters, "…" / "…," he said, "…" (the second half).

    The last speech verb in the quote's sentence before the opening mark."""
    for token in reversed(c.lead):
        if is_according_to(token) or (is_speech_verb(token) and token.dep_ != "amod"):
            return speaker_of(token, c.mentions, c.quoted)
    return None


def colon_lead(c: QuoteContext) -> Speaker | None:
    """Here's Clinton in 1992: "…" / He gave the Texan a compliment: "…".

    A clause ending in a colon before the quote, without a speech verb: its subject, or the
    first person or organisation it names."""
    colon = _colon_before(c)
    if colon is None:
        return None
    line_start = _line_start(c.text, colon.idx)
    words = [
        t
        for t in colon.sent[: colon.i - colon.sent.start]
        if t.idx >= line_start and not t.is_space and not inside(t.idx, c.quoted)
    ]
    if not words:
        return None
    if len(words) <= 4 and all(t.text[:1].isupper() or t.is_punct for t in words):
        return _label_speaker(words, c)  # "Clinton: "…"", a label the model may not tag
    root = next((t for t in words if t.dep_ == "ROOT"), None)
    if root is not None:
        subject = subject_of(root, c.quoted)
        # only someone who can speak: "The sign read:" introduces no speaker
        if subject is not None and (
            subject.pos_ == "PROPN" or subject.lower_ in _PERSONAL_PRONOUNS
        ):
            return phrase_speaker(None, subject, c.mentions, c.quoted)
    lead_start, lead_end = words[0].idx, colon.idx
    for mention in c.mentions:
        if lead_start <= mention.start < lead_end and mention.label in ("PERSON", "ORG"):
            if _addressed(c.doc, mention):
                continue  # "But told BBC News: "…"": whom the words were said to (issue 20)
            return Speaker(None, mention.text, mention.start, mention.end, mention)
    return None


def _addressed(doc: Doc, mention: EntityMention) -> bool:
    """Whether a name is the object of a verb or preposition, not someone who speaks."""
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    return span is not None and span.root.dep_ in _OBJECT_DEPS


def cue_in_sentence(c: QuoteContext) -> Speaker | None:
    """Jane Doe, referring to the bill, said it was "a disaster" in a long speech.

    The speech verb nearest the quote elsewhere in its sentences and paragraph."""
    span = c.doc.char_span(c.open_at, c.mark_end, alignment_mode="expand")
    if span is None:
        return None
    lo, hi = c.paragraph
    candidates = [
        t
        for sentence in sentences_of(span)
        for t in sentence
        if lo <= t.idx < hi
        and not inside(t.idx, c.quoted)
        and (is_speech_verb(t) or is_according_to(t))
    ]
    if not candidates:
        return None
    verb = min(candidates, key=lambda t: min(abs(t.idx - c.open_at), abs(t.idx - c.mark_end)))
    return speaker_of(verb, c.mentions, c.quoted)


def intro_before(c: QuoteContext) -> Speaker | None:
    """He said: "…" (in the sentence or line before) / The company said: ¶ "…" (a quote
    opening its sentence after a colon): the speech verb of the clause ending in the colon."""
    if any(not t.is_space for t in c.lead):
        return None
    colon = _colon_before(c)
    if colon is None:
        return None
    for token in reversed(colon.sent[: colon.i - colon.sent.start]):
        if token.idx < _line_start(c.text, colon.idx) or inside(token.idx, c.quoted):
            break
        if is_speech_verb(token) or is_according_to(token):
            return speaker_of(token, c.mentions, c.quoted)
    return None


def verb_without_content_before(c: QuoteContext) -> Speaker | None:
    """Sam Lau said in a statement. "…" (a sentence before the quote whose speech verb reports
    nothing of its own)."""
    if any(not t.is_space for t in c.lead):
        return None
    end = len(c.text[: c.open_at].rstrip())
    if end == 0 or c.text[end - 1] != ".":
        return None
    span = c.doc.char_span(end - 1, end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    sentence = span[-1].sent
    for token in reversed(sentence):
        if inside(token.idx, c.quoted):
            return None
        if is_speech_verb(token):
            if verb_lemma(token.text) not in _SAY or any(
                ch.dep_ in ("ccomp", "dobj", "xcomp", "attr", "neg") for ch in token.children
            ):
                return None  # "The court did not comment." introduces nobody's words
            return speaker_of(token, c.mentions, c.quoted)
    return None


def roundup_label(c: QuoteContext) -> Speaker | None:
    """Jane Doe, The Daily Planet: ¶ "…" (a round-up line naming the speaker, no verb)."""
    if any(not t.is_space for t in c.lead):
        return None
    colon = _colon_before(c)
    if colon is None:
        return None
    line_start = _line_start(c.text, colon.idx)
    if len(c.text[line_start : colon.idx].split()) > 12:
        return None
    first = next(
        (
            m
            for m in c.mentions
            if line_start <= m.start < colon.idx and m.label in ("PERSON", "ORG")
        ),
        None,
    )
    if first is None or c.text[line_start : first.start].strip():
        return None
    return Speaker(None, first.text, first.start, first.end, first)


def dash_signature(c: QuoteContext) -> Speaker | None:
    """ "…" ¶ — Jane Doe (a quote signed on the next line)."""
    text = c.text
    after = text[c.mark_end : c.paragraph[1]].strip(" .")
    if after:
        return None
    next_start = c.paragraph[1]
    while next_start < len(text) and text[next_start].isspace():
        next_start += 1
    if text[next_start : next_start + 1] not in _DASHES:
        return None
    for mention in c.mentions:
        if next_start < mention.start <= next_start + 3 and mention.label in SPEAKER_LABELS:
            return Speaker(None, mention.text, mention.start, mention.end, mention)
    return None


def continues_previous(c: QuoteContext) -> Speaker | None:
    """ "…," he said. "…" or a quote opening the next paragraph after one: the same speaker
    (the news convention for a speaker quoted over several paragraphs)."""
    previous = c.previous
    if previous is None or previous.attribution.speaker_text is None:
        return None
    if any(not t.is_space for t in c.lead):
        return None
    between = c.text[previous.mark_end : c.open_at]
    if "\n" in between:
        lines_between = [line for line in between.split("\n")[1:-1] if line.strip()]
        if lines_between or c.text[c.paragraph[0] : c.open_at].strip():
            return None
    a = previous.attribution
    if "\n" not in between and between.strip(' \t,.;:!?"”“’'):
        # in one paragraph, prose between two quotes keeps the speaker unless someone else
        # becomes a subject there ("…," said Mr Florin. He said … "…" is still Mr Florin;
        # "…," Ruddock told BBC Wales Sport. "…" is still Ruddock)
        own = (a.speaker_start or 0, a.speaker_end or 0)
        named = [m for m in c.mentions if m.label in SPEAKER_LABELS]
        for token in c.doc.char_span(previous.mark_end, c.open_at, alignment_mode="contract") or []:
            if token.dep_ not in ("nsubj", "nsubjpass") or own[0] <= token.idx < own[1]:
                continue
            if token.pos_ == "PROPN" or any(m.start <= token.idx < m.end for m in named):
                return None
    return Speaker(a.cue, a.speaker_text, a.speaker_start, a.speaker_end, a.speaker)


# Confidence is about the share of right speakers (as written) each rule gave on the PolNeAR
# tuning part (table in docs/extraction.md); rules too rare there to measure get a lower guess.
RULES: tuple[Rule, ...] = (
    Rule("cue_after_quote", 0.95, cue_after_quote),
    Rule("cue_before_quote", 0.9, cue_before_quote),
    Rule("intro_before", 0.8, intro_before),
    Rule("roundup_label", 0.7, roundup_label),
    Rule("colon_lead", 0.65, colon_lead),
    Rule("cue_in_sentence", 0.85, cue_in_sentence),
    Rule("verb_without_content_before", 0.6, verb_without_content_before),
    Rule("dash_signature", 0.75, dash_signature),
    Rule("continues_previous", 0.78, continues_previous, only_without_cue=True),
)


# --- helpers ----------------------------------------------------------------------------------


def _subject_after(verb: Token, c: QuoteContext) -> Token | None:
    """The subject written after an inverted verb ("said Jane Doe, a lawyer")."""
    for token in verb.rights:
        if inside(token.idx, c.quoted) or token.idx >= c.paragraph[1]:
            break
        if token.dep_ in ("nsubj", "nsubjpass") or (
            token.pos_ in ("PROPN", "NOUN", "PRON") and token.dep_ not in ("ccomp", "npadvmod")
        ):
            return token
    return None


def _from_subject(verb: Token, subject: Token | None, c: QuoteContext) -> Speaker:
    if subject is None or inside(subject.idx, c.quoted):
        return Speaker(verb.text, None, None, None, None)
    return phrase_speaker(verb.text, subject, c.mentions, c.quoted)


def _colon_before(c: QuoteContext) -> Token | None:
    """The colon that the text before the opening mark ends with, if any."""
    end = len(c.text[: c.open_at].rstrip())
    if end == 0 or c.text[end - 1] != ":":
        return None
    span = c.doc.char_span(end - 1, end, alignment_mode="expand")
    return span[-1] if span is not None and len(span) else None


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1
