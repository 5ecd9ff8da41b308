"""Quotations and their speakers from a spaCy ``Doc``: direct, block, partial and indirect.

Attribution (a speech verb and its subject, resolved to an entity) lives in ``_attribute``.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from spacy.tokens import Doc, Span, Token

from app.nlp.entities import EntityMention
from app.nlp.interviews import interview_answers

SPEECH_VERBS = frozenset(
    """say tell add state stress warn argue insist explain write claim note announce declare
    reply respond ask comment acknowledge admit confirm deny suggest report tweet urge agree
    elaborate recall predict concede reiterate emphasise emphasize assert maintain complain
    remark observe caution testify vow promise answer announce describe continue conclude
    call dub label brand term
    """.split()
)
_IRREGULAR = {
    "said": "say",
    "says": "say",
    "told": "tell",
    "tells": "tell",
    "wrote": "write",
    "writes": "write",
    "written": "write",
}
_PRONOUNS = frozenset({"he", "she"})
_ORG_PRONOUNS = frozenset({"it"})
_RELATIVE_PRONOUNS = frozenset({"who", "which", "that"})
# people who speak for someone else: "a spokesman for Acme" speaks for Acme
_PROXY_NOUNS = frozenset("spokesman spokeswoman spokesperson representative statement".split())
_PERSON_NOUNS = frozenset(
    """executive spokesman spokeswoman spokesperson minister president chairman chairwoman chair
    director official leader founder chief ceo boss manager secretary senator governor mayor
    minister prime premier officer analyst expert coach captain player star actor actress singer
    author lawyer attorney judge professor scientist researcher doctor economist businessman
    businesswoman owner head commissioner ambassador diplomat general commander politician
    mp lawmaker legislator candidate cardinal archbishop bishop pope priest chancellor
    inspector detective superintendent commissioner negotiator adviser advisor""".split()
)
_ORG_NOUNS = frozenset(
    "company firm group ministry department agency government organisation organization "
    "union club party bank council committee board regulator team corporation".split()
)
_SPEAKER_DEPS = ("nsubj", "nsubjpass")
# NORP is left out: "the American" is a person, not the nationality
_SPEAKER_LABELS = ("PERSON", "ORG", "GPE")

_quote_mark_re = re.compile(r'["“”]')
_OPENING_CONTEXT = "([{—–-/"
_CLOSING_CONTEXT = ".,;:!?)]}—–-'’"
# a line that introduces a block quote: "… said;" or "… told reporters:"
_block_intro_re = re.compile(r"\b(\w+)(?:\s+\w+)?\s*[:;]\s*$")
_QUOTE_MARKS = '"“”'


@dataclass(frozen=True)
class QuoteSpan:
    text: str
    start: int
    end: int
    kind: str
    cue: str | None = None
    speaker_text: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    speaker: EntityMention | None = None  # the mention the speaker resolves to


@dataclass(frozen=True)
class _Attribution:
    cue: str
    speaker_text: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker: EntityMention | None


def verb_lemma(word: str) -> str | None:
    """The speech-verb lemma of an inflected form (said → say, stressed → stress), or None."""
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    candidates = [word, word[:-1], word[:-2], word[:-3], word[:-3] + "y", word[:-3] + "e"]
    return next((c for c in candidates if c in SPEECH_VERBS), None)


def extract_quotes(doc: Doc, mentions: Sequence[EntityMention]) -> list[QuoteSpan]:
    """All quotes in ``doc`` in text order, attributed where the text names or implies a speaker."""
    marked = _marked_quotes(doc, mentions)
    inside = [(q.start - 1, q.end + 1) for q in marked]
    blocks = _block_quotes(doc, mentions, inside)
    # reported speech may contain a quoted phrase, but never restates a direct or block quote
    statements = [(q.start - 1, q.end + 1) for q in marked if q.kind == "direct"]
    statements += [(q.start, q.end) for q in blocks]
    indirect = _indirect_quotes(doc, mentions, statements)
    turns = _interview_answers(doc.text, mentions)
    return sorted(marked + blocks + indirect + turns, key=lambda q: (q.start, q.end))


def _interview_answers(text: str, mentions: Sequence[EntityMention]) -> list[QuoteSpan]:
    """Each paragraph of an interviewee's answer in a transcript is a direct quote."""
    by_start = {m.start: m for m in mentions}
    return [
        QuoteSpan(
            text=text[a.start : a.end],
            start=a.start,
            end=a.end,
            kind="direct",
            speaker_text=text[a.name_start : a.name_end],
            speaker_start=a.name_start,
            speaker_end=a.name_end,
            speaker=by_start.get(a.name_start),
        )
        for a in interview_answers(text)
    ]


def quote_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, mark_end) of each quoted passage, paragraph by paragraph.

    Double marks first. Straight marks are told apart by what surrounds them: an opening mark
    follows a space and precedes a word. A quote still open when the next one opens, or when
    the paragraph ends, closes there: that is how flattened multi-paragraph quotes ("…we won.
    "Next…") and opening marks repeated on each paragraph read. Single marks ('…' and ‘…’, the
    British style) count only in paragraphs without double marks, where they cannot be quotes
    nested in a double-quoted one; an apostrophe inside a word is never a mark.
    ``mark_end`` includes the closing mark.
    """
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        if _quote_mark_re.search(line.group()):
            spans += _line_spans(text, line.start(), line.end(), '"', "“", "”")
        else:
            spans += _line_spans(text, line.start(), line.end(), "'", "‘", "’")
    return [(start, end, mark_end) for start, end, mark_end in spans if text[start:end].strip()]


def _line_spans(
    text: str, line_start: int, line_end: int, straight: str, opening: str, closing: str
) -> list[tuple[int, int, int]]:
    spans = []
    open_at: int | None = None
    for i in range(line_start, line_end):
        char = text[i]
        if char not in (straight, opening, closing):
            continue
        before = text[i - 1] if i > line_start else " "
        after = text[i + 1] if i + 1 < line_end else " "
        if before.isalnum() and after.isalnum():
            continue  # an apostrophe: don't, it’s
        opens = char == opening or (
            char == straight
            and (before.isspace() or before in _OPENING_CONTEXT)
            and not after.isspace()
        )
        ends_here = after.isspace() or after in _CLOSING_CONTEXT
        # a curly double closes wherever it is; ’ is also an apostrophe, so it must end a word
        closes = (char == closing and (straight == '"' or ends_here)) or (
            char == straight and not before.isspace() and ends_here
        )
        if opens and not (closes and open_at is not None):
            if open_at is not None:
                end = _rstrip(text, open_at + 1, i)
                spans.append((open_at + 1, end, end))
            open_at = i
        elif closes and open_at is not None:
            spans.append((open_at + 1, i, i + 1))
            open_at = None
    if open_at is not None and straight == '"':
        # only double marks open a quote that runs to the end of its paragraph
        end = _rstrip(text, open_at + 1, line_end)
        spans.append((open_at + 1, end, end))
    return spans


def _rstrip(text: str, start: int, end: int) -> int:
    return start + len(text[start:end].rstrip())


def _marked_quotes(doc: Doc, mentions: Sequence[EntityMention]) -> list[QuoteSpan]:
    spans = quote_spans(doc.text)
    marks = [(start - 1, mark_end) for start, _, mark_end in spans]
    quotes: list[QuoteSpan] = []
    previous: QuoteSpan | None = None
    for start, end, mark_end in spans:
        text = doc.text[start:end]
        context = doc.char_span(start - 1, mark_end, alignment_mode="expand")
        if context is None:
            continue
        sentences = _sentences(context)
        kind = "direct" if _is_full_quote(doc, start, end, mark_end, sentences) else "partial"
        attribution = _attribute_near(doc, sentences, marks, mentions)
        if attribution is None and kind == "direct":
            attribution = _attribute_continuation(doc, sentences, previous)
        if not _is_statement(text, kind, attribution):
            continue  # scare quotes, titles and nicknames: no one is said to say them
        quote = _make_quote(text, start, end, kind, attribution)
        quotes.append(quote)
        previous = quote
    return quotes


def _sentences(span: Span) -> list[Span]:
    first, last = span[0].sent, span[-1].sent
    return [s for s in span.doc.sents if first.start <= s.start <= last.start]


def _is_full_quote(doc: Doc, start: int, end: int, mark_end: int, sentences: list[Span]) -> bool:
    """A whole statement rather than a phrase: it closes on punctuation inside or just outside
    the marks (British style: "…as a nation", said X), or it stands at the start of a sentence
    or after a colon or comma and does not begin in lower case."""
    text = doc.text[start:end].rstrip()
    if text[-1:] in tuple(".,!?…:;") or doc.text[mark_end : mark_end + 1] in tuple(",.!?"):
        return True
    if text[:1].islower():
        return False
    before = doc.text[sentences[0].start_char : start - 1].strip()
    return not before or before.endswith((":", ","))


def _is_statement(text: str, kind: str, attribution: "_Attribution | None") -> bool:
    """Keep a partial quote of two words or more that has a speech verb, and a direct quote
    that has a speaker or reads as a sentence; drop single quoted words ("smart" fridges)."""
    words = len(text.split())
    if kind == "partial":
        return attribution is not None and words >= 2
    return attribution is not None or words >= 3 or text.rstrip()[-1:] in ".!?"


def _inside(offset: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def _attribute_near(
    doc: Doc,
    sentences: list[Span],
    quoted: list[tuple[int, int]],
    mentions: Sequence[EntityMention],
) -> _Attribution | None:
    """A speech verb outside the quotes in the quote's sentences and paragraph, else one ending
    the sentence before it with a colon ("He said:")."""
    start = sentences[0].start_char
    paragraph = (doc.text.rfind("\n", 0, start) + 1, _paragraph_end(doc.text, start))
    for sentence in sentences:
        for token in sentence:
            if not paragraph[0] <= token.idx < paragraph[1]:
                continue
            if (
                not _inside(token.idx, quoted)
                and verb_lemma(token.text)
                and token.pos_ in ("VERB", "AUX")
            ):
                return _attribute(token, mentions, quoted)
            if _is_according_to(token) and not _inside(token.idx, quoted):
                return _attribute(token, mentions, quoted)
    first = sentences[0]
    if first.start > 0:
        prior = doc[first.start - 1].sent
        if prior.text.rstrip().endswith(":"):
            for token in reversed(prior):
                if verb_lemma(token.text) and not _inside(token.idx, quoted):
                    return _attribute(token, mentions, quoted)
    return None


def _paragraph_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end


def _attribute_continuation(
    doc: Doc, sentences: list[Span], previous: QuoteSpan | None
) -> _Attribution | None:
    """A quote with no verb of its own continues the previous quote's speaker in the same
    paragraph ("Trade benefits all sides," he said. "It's a win-win."), or opens the paragraph
    right after it: the news convention for a speaker quoted over several paragraphs."""
    if previous is None or previous.cue is None:
        return None
    between = doc.text[previous.end : sentences[0].start_char]
    if "\n" in between:
        paragraph_start = doc.text.rfind("\n", 0, sentences[0].start_char) + 1
        opens_paragraph = not doc.text[paragraph_start : sentences[0].start_char].strip()
        lines_between = [line for line in between.split("\n")[1:-1] if line.strip()]
        if not opens_paragraph or lines_between:
            return None
    return _Attribution(**_attribution_fields(previous))


def _block_quotes(
    doc: Doc, mentions: Sequence[EntityMention], quoted: list[tuple[int, int]]
) -> list[QuoteSpan]:
    """A paragraph without quotation marks introduced by a line ending in "said:" or "said;"."""
    quotes = []
    lines = list(_lines(doc.text))
    for (intro_start, intro_end), (start, end) in zip(lines, lines[1:], strict=False):
        intro = doc.text[intro_start:intro_end]
        match = _block_intro_re.search(intro)
        if not match or not verb_lemma(match.group(1)):
            continue
        text = doc.text[start:end]
        if text[0] in _QUOTE_MARKS or _inside(start, quoted):
            continue
        verb = doc.char_span(intro_start + match.start(1), intro_start + match.end(1))
        attribution = _attribute(verb[0], mentions, quoted) if verb is not None else None
        quotes.append(_make_quote(text, start, end, "block", attribution))
    return quotes


def _lines(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each non-blank line, without surrounding whitespace."""
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            yield match.start() + lead, match.start() + len(line.rstrip())


def _indirect_quotes(
    doc: Doc, mentions: Sequence[EntityMention], quoted: list[tuple[int, int]]
) -> list[QuoteSpan]:
    """Reported speech: a speech verb with a clausal complement ("stressed that Huawei is
    open", "Prices will rise, the bank said"), or a clause sourced "according to X"."""
    quotes = []
    for token in doc:
        if _inside(token.idx, quoted):
            continue
        if (
            token.lower_ == "according"
            and token.i + 1 < len(doc)
            and doc[token.i + 1].lower_ == "to"
        ):
            span = _according_to_content(token)
        elif verb_lemma(token.text) and token.pos_ == "VERB":
            span = _reported_clause(token)
        else:
            continue
        if span is None or len(span) < 3 or any(_inside(t.idx, quoted) for t in span):
            continue
        attribution = _attribute(token, mentions, quoted)
        if attribution.speaker_text is None:
            continue
        quotes.append(
            _make_quote(span.text, span.start_char, span.end_char, "indirect", attribution)
        )
    return quotes


def _is_according_to(token: Token) -> bool:
    return (
        token.lower_ == "according"
        and token.i + 1 < len(token.doc)
        and (token.nbor(1).lower_ == "to")
    )


def _reported_clause(verb: Token) -> Span | None:
    """The clause a speech verb reports: after it ("said that …", "said the plan failed"), or
    before it when the speaker follows ("The plan failed, the minister said")."""
    subject = next((c for c in verb.children if c.dep_ in _SPEAKER_DEPS), None)
    for clause in verb.children:
        if clause.dep_ != "ccomp":
            continue
        if clause.i < verb.i and (subject is None or subject.i < clause.i):
            continue  # "X, who said …": a clause before both subject and verb is not reported
        words = [t for t in clause.subtree if not (t.dep_ == "mark" and t.lower_ == "that")]
        return _trim_span(verb.doc[words[0].i : words[-1].i + 1])
    return None


def _according_to_content(according: Token) -> Span | None:
    """ "According to X, <clause>" or "<clause>, according to X": the sentence without the
    attribution phrase."""
    sentence = according.sent
    phrase = list(according.subtree)
    first, last = phrase[0].i, phrase[-1].i
    if first == sentence.start:
        span = sentence.doc[last + 1 : sentence.end]
    elif last + 1 >= sentence.end - 1:
        span = sentence.doc[sentence.start : first]
    else:
        return None
    while len(span) and (span[0].is_punct or span[0].is_space):
        span = span[1:]
    return _trim_span(span)


def _trim_span(span: Span) -> Span:
    while len(span) and (span[-1].is_punct or span[-1].is_space):
        span = span[:-1]
    return span


def _make_quote(
    text: str, start: int, end: int, kind: str, attribution: _Attribution | None
) -> QuoteSpan:
    if attribution is None:
        return QuoteSpan(text=text, start=start, end=end, kind=kind)
    return QuoteSpan(text=text, start=start, end=end, kind=kind, **_attribution_fields(attribution))


def _attribution_fields(source: "QuoteSpan | _Attribution") -> dict[str, Any]:
    """The attribution part of a quote (cue and speaker), shared by both dataclasses."""
    return {f.name: getattr(source, f.name) for f in fields(_Attribution)}


def _attribute(
    verb: Token, mentions: Sequence[EntityMention], quoted: list[tuple[int, int]]
) -> _Attribution:
    """The speaker of a speech verb: its subject, resolved to an entity mention when possible."""
    cue = "according to" if verb.lower_ == "according" else verb.text
    subject = _subject(verb)
    if subject is None:
        return _Attribution(cue, None, None, None, None)
    start, end = _speaker_bounds(subject)
    text = verb.doc.text[start:end]
    return _Attribution(cue, text, start, end, _resolve(subject, start, end, mentions, quoted))


def _subject(verb: Token) -> Token | None:
    if verb.lower_ == "according":
        to = verb.nbor(1)
        return next((c for c in to.children if c.dep_ == "pobj"), None)
    for candidate in (verb, verb.head if verb.dep_ in ("conj", "advcl", "xcomp") else None):
        if candidate is None:
            continue
        subject = next((c for c in candidate.children if c.dep_ in _SPEAKER_DEPS), None)
        if (
            subject is not None
            and subject.lower_ in _RELATIVE_PRONOUNS
            and candidate.dep_ == "relcl"
        ):
            noun = candidate.head  # "Ana Ruiz, a chemist, who said": Ruiz
            while noun.dep_ == "appos" and noun.head is not noun:
                noun = noun.head
            return noun
        if subject is not None:
            return subject
    # "…," said Smith: an inverted subject the parser may label otherwise
    return next(
        (c for c in verb.rights if c.pos_ in ("PROPN", "NOUN", "PRON") and c.dep_ != "ccomp"), None
    )


def _speaker_bounds(subject: Token) -> tuple[int, int]:
    """The subject phrase without appositions or relative clauses: "a spokeswoman for the
    ministry" but not ", founder and CEO of Huawei"."""
    doc = subject.doc
    left = subject.left_edge.i
    right = subject.i
    for child in subject.rights:
        if child.dep_ in ("compound", "flat", "prep") and child.i == right + 1:
            right = child.right_edge.i
    return doc[left].idx, doc[right].idx + len(doc[right])


def _resolve(
    subject: Token,
    start: int,
    end: int,
    mentions: Sequence[EntityMention],
    quoted: list[tuple[int, int]],
) -> EntityMention | None:
    """Named speaker → its mention; "he"/"she" or a role ("the executive") → a person named
    before, outside quotes; an organisation noun ("the company") → the nearest organisation.
    No evidence, no guess."""
    named = [m for m in mentions if m.start < end and start < m.end and m.label in _SPEAKER_LABELS]
    # "United States President Donald Trump": the mention holding the head word, not the first
    for mention in named:
        if mention.start <= subject.idx < mention.end:
            return mention
    # "The finance minister, Jane Okafor, said": the name in apposition
    for appos in (c for c in subject.children if c.dep_ == "appos"):
        for mention in mentions:
            if mention.start <= appos.idx < mention.end and mention.label in _SPEAKER_LABELS:
                return mention
    # "Former health minister Jo Bell MP": a person named inside the phrase
    people = [m for m in named if m.label == "PERSON"]
    if people:
        return people[0]
    word = subject.lower_
    if word in _PROXY_NOUNS:
        # "a spokesman for Acme", "the Acme spokesman": the speaker is the one spoken for
        for prep in (c for c in subject.children if c.dep_ == "prep" and c.lower_ in ("for", "of")):
            for mention in mentions:
                inside = prep.idx < mention.start < prep.right_edge.idx + len(prep.right_edge)
                if inside and mention.label in _SPEAKER_LABELS:
                    return mention
        if named:
            return named[0]
    if any(c.dep_ in ("amod", "compound") and c.ent_type_ for c in subject.children):
        # "the French government": a description naming something the text does not link
        return named[0] if named else None
    if any(child.dep_ == "det" and child.lower_ in ("a", "an") for child in subject.children):
        return None  # "a spokesperson" introduces someone new; only "the executive" refers back
    if subject.pos_ == "PROPN" and not named:
        # a surname the model did not tag ("Okafor wrote") joins the full name written before
        people = [m for m in mentions if m.label == "PERSON" and m.name.split()[-1] == subject.text]
        before = [m for m in people if m.end <= start]
        return before[-1] if before else (people[0] if people else None)
    if word in _PRONOUNS or word in _PERSON_NOUNS:
        wanted = "PERSON"
    elif word in _ORG_NOUNS or word in _ORG_PRONOUNS:
        wanted = "ORG"
    else:
        return named[0] if named else None
    earlier = [
        m for m in mentions if m.end <= start and m.label == wanted and not _inside(m.start, quoted)
    ]
    if word in _PERSON_NOUNS:
        earlier = _holding_role(subject, earlier)
    # a pronoun or role most often refers back to the last person who was the subject of a
    # main clause or of a speech verb, not to whoever was named last ("… while Tom Reed
    # would …. "…," he declared" is rarely Reed)
    subjects = [m for m in earlier if _is_main_subject(subject.doc, m)]
    candidates = subjects or earlier
    return candidates[-1] if candidates else None


def _holding_role(role: Token, people: list[EntityMention]) -> list[EntityMention]:
    """People whose title fits a role description: for "the deputy mayor", those introduced
    as "Deputy Mayor …" if any; never those introduced with another title on the same noun
    ("President Donald Trump")."""
    wanted = {t.lower_ for t in role.subtree if t.dep_ != "det" and t.i <= role.i}
    titled, untitled = [], []
    for person in people:
        title = _title_of(role.doc, person)
        if wanted <= title:
            titled.append(person)
        elif role.lower_ not in title:
            untitled.append(person)
    return titled or untitled


def _title_of(doc: Doc, mention: EntityMention) -> set[str]:
    """Lower-cased words written just before a name as its title ("Deputy Mayor", "CEO")."""
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return set()
    words: set[str] = set()
    i = span.start - 1
    while i >= 0 and doc[i].pos_ in ("PROPN", "NOUN", "ADJ") and not doc[i].ent_type_:
        words.add(doc[i].lower_)
        i -= 1
    return words


def _is_main_subject(doc: Doc, mention: EntityMention) -> bool:
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    root = span.root
    while root.dep_ in ("compound", "flat", "appos", "conj") and root.head is not root:
        root = root.head
    if root.dep_ not in _SPEAKER_DEPS:
        return False
    verb = root.head
    return verb.dep_ == "ROOT" or verb_lemma(verb.text) is not None
