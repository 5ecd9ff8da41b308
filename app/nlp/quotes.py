"""Quotations from a spaCy ``Doc``: passages in quotation marks, block quotes and interview
answers, joined with reported speech (``app.nlp.reported``); who said a quoted passage is
decided by the ordered rules of ``app.nlp.attribution``."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from spacy.tokens import Doc, Span

from app.nlp.attribution import attribute
from app.nlp.context import PreviousQuote, QuoteContext
from app.nlp.entities import EntityMention
from app.nlp.interviews import interview_answers
from app.nlp.reported import question_asked, reported_quotes
from app.nlp.sections import unquoted_sections
from app.nlp.spans import (
    QUOTE_MARKS,
    Attribution,
    QuoteSpan,
    attribution_of,
    make_quote,
    sentences_of,
    trim_span,
)
from app.nlp.speakers import inside, speaker_of, verb_lemma

__all__ = ["QuoteSpan", "extract_quotes", "quote_spans"]

_quote_mark_re = re.compile(f"[{QUOTE_MARKS}]")
_OPENING_CONTEXT = "([{—–-/"
_CLOSING_CONTEXT = ".,;:!?)]}—–-'’"
# a line that introduces a block quote: "He said:", "… said;" or "… told reporters:"
_block_intro_re = re.compile(r"(?:\b(\w+)\s+)?\b(\w+)(?:\s+\w+)?\s*[:;]\s*$")


def extract_quotes(doc: Doc, mentions: Sequence[EntityMention]) -> list[QuoteSpan]:
    """All quotes in ``doc`` in text order, attributed where the text names or implies a speaker."""
    marked = _marked_quotes(doc, mentions)
    blocks = _block_quotes(doc, mentions, [(q.start - 1, q.end + 1) for q in marked])
    # reported speech may contain a quoted phrase, but never restates a direct or block quote
    body = doc.text
    statements = [
        (q.start - 1, q.end + 1)
        for q in marked
        if q.kind == "direct" and not _runs_into_sentence(body, q)
    ]
    statements += [(q.start, q.end) for q in blocks]
    indirect = reported_quotes(doc, mentions, statements)
    marked, indirect = _mixed_quotes(doc, marked, indirect)
    turns = _interview_answers(doc.text, mentions)
    kept = _drop_nested(marked + blocks + indirect + turns)
    # readers' comments and an interviewer's questions are nobody's reported words (issue 20)
    sections = unquoted_sections(body)
    return sorted(
        (
            q
            for q in kept
            if not _unattributed_phrase(q)
            and not _named_as(body, q)
            and (q.rule == "interview_turn" or not inside(q.start, sections))
        ),
        key=lambda q: (q.start, q.end),
    )


def _unattributed_phrase(quote: QuoteSpan) -> bool:
    """A short phrase in marks that no cue and no speaker attribute is a term or a label
    ('the test of "a balance of probabilities"', 'invoiced as "consulting fees"'), not words
    said (issue 20)."""
    return (
        quote.kind == "direct"
        and not quote.text.rstrip(" ,.").endswith(("!", "?"))  # a cry or a question is said
        # a cue with nobody to say it is a name or a term too ('what it called "bot nets"')
        and quote.speaker_text is None
        and len(quote.text.split()) <= PHRASE_WORDS
    )


def _named_as(body: str, quote: QuoteSpan) -> bool:
    """A quote that nobody is said to say, written after "as" ('is billed as "…"',
    'was described as "…"'), is a billing or a label (issue 20)."""
    if quote.kind != "direct" or quote.cue is not None or quote.speaker_text is not None:
        return False
    before = body[max(0, quote.start - 12) : quote.start].rstrip(QUOTE_MARKS + " ")
    return before.lower().endswith(" as")


# a quoted phrase of at most this many words right after a word is part of the writer's
# sentence whatever its case ('labelled "Made in Britain,"', 'the film "Green Fields."')
PHRASE_WORDS = 5
# kinds of quote left out when they lie inside a longer quote of any kind (issue 9)
NESTED_DROPPED = frozenset({"indirect", "stance", "mixed"})


def _drop_nested(quotes: list[QuoteSpan]) -> list[QuoteSpan]:
    """A reported clause or stance inside a longer quote ("said the board thought the plan
    would fail"): the outer quote already carries those words, and the inner cue is mostly
    not an attribution of its own (on the PolNeAR tune part about 1 in 5 is one)."""
    kept = []
    reach, reach_start = -1, -1  # the furthest end of a quote so far, and where that one starts
    for quote in sorted(quotes, key=lambda q: (q.start, -q.end)):
        inside_longer = reach > quote.end or (reach == quote.end and reach_start < quote.start)
        if not (quote.kind in NESTED_DROPPED and inside_longer):
            kept.append(quote)
        if quote.end > reach:
            reach, reach_start = quote.end, quote.start
    return kept


def _mixed_quotes(
    doc: Doc, marked: list[QuoteSpan], indirect: list[QuoteSpan]
) -> tuple[list[QuoteSpan], list[QuoteSpan]]:
    """A quoted fragment inside reported speech (called the plan "a disaster") makes one quote
    of kind ``mixed`` over the reported clause, attributed like reported speech; the fragment
    is not listed on its own. A quote that is most of the clause holding it (said Reed "has
    a record of winning.") is listed alone: the clause would only repeat it."""
    kept: list[QuoteSpan] = []
    reported = list(indirect)
    covered: set[int] = set()
    body = doc.text
    for quote in marked:
        fragment = quote.kind == "direct" and _runs_into_sentence(body, quote)
        if quote.kind != "partial" and not fragment:
            kept.append(quote)
            continue
        around = next(
            (i for i, q in enumerate(reported) if q.start < quote.start < q.end),
            None,
        )
        if around is not None and not _mostly_quoted(quote, reported[around]):
            # the clause was cut before the full stop the quote closes on: "… of "Reagan.""
            end = max(reported[around].end, quote.end)
            if end == quote.end and body[end : end + 1] in ('"', "”"):
                end += 1  # the closing mark, as with the opening one
            text = body[reported[around].start : end]
            reported[around] = replace(reported[around], kind="mixed", end=end, text=text)
            continue
        if around is not None:
            covered.add(around)  # the quote is most of the clause: it stands for it
        if fragment:
            if not _is_title(quote.text):
                kept.append(quote)  # a phrase quoted whole ('denounced "self-deportation,"')
            continue
        if _in_question(doc, quote):
            continue  # "Asked if the contest was "fair and open", he said": the asker's words
        clause = _reporting_clause(doc, quote) if around is None else None
        if clause is None or _mostly_quoted(quote, clause):
            kept.append(quote)  # 21 percent said "not too likely": the quote is the statement
            continue
        reported.append(
            replace(
                quote, text=clause.text, start=clause.start_char, end=clause.end_char, kind="mixed"
            )
        )
    return kept, [q for i, q in enumerate(reported) if i not in covered]


def _is_title(text: str) -> bool:
    """A name in title case ("Morning Briefing", "Harbour of Lost Ships"): a title, not words
    said; a cry ("Save the Pier!") is said."""
    words = re.findall(r"[^\W\d_]+", text)
    long_words = [w for w in words if len(w) > 3]
    return (
        len(words) >= 2
        and bool(long_words)
        and words[0][0].isupper()
        and all(w[0].isupper() for w in long_words)
        and not text.rstrip(" ,.\"'”’").endswith(("!", "?"))
    )


def _runs_into_sentence(body: str, quote: QuoteSpan) -> bool:
    """A quote in lower case, or a short one, right after a word: a phrase of the writer's
    sentence, even when it closes the sentence with a full stop inside the marks (US style: of
    the "party of Reagan.")."""
    before = body[max(0, quote.start - 3) : quote.start - 1].rstrip()
    phrase = quote.text[:1].islower() or len(quote.text.split()) <= PHRASE_WORDS
    return phrase and before[-1:].isalnum()


def _mostly_quoted(quote: QuoteSpan, clause: "QuoteSpan | Span") -> bool:
    """The quoted words are most of the clause, or open it: a quotation, not reported speech
    with a phrase quoted in it."""
    starts_with_it = (clause.start if isinstance(clause, QuoteSpan) else clause.start_char) >= (
        quote.start - 1
    )
    # 'praised "his integrity" as he spoke': the quote is the object, the rest is about it
    return starts_with_it or len(quote.text.split()) >= 0.6 * len(clause.text.split())


def _in_question(doc: Doc, quote: QuoteSpan) -> bool:
    """A quoted fragment inside an unnamed interviewer's question ("Asked whether …")."""
    span = doc.char_span(quote.start, quote.end, alignment_mode="expand")
    token = span.root if span is not None and len(span) else None
    for _ in range(8):
        if token is None or token.head is token:
            return False
        token = token.head
        if question_asked(token):
            return True
    return False


def _reporting_clause(doc: Doc, quote: QuoteSpan) -> Span | None:
    """The words a speech verb governs after it, when they hold the quoted fragment: "called
    the plan "a disaster"" → the plan "a disaster"."""
    span = doc.char_span(quote.start, quote.end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    token = span.root
    for _ in range(6):
        if token.head is token:
            return None
        token = token.head
        if token.pos_ == "VERB" and verb_lemma(token.text):
            break
    else:
        return None
    after = [t for t in token.subtree if t.i > token.i]
    if not after:
        return None
    clause = trim_span(doc[after[0].i : after[-1].i + 1])
    # the opening and closing marks belong to the clause when the fragment ends it
    if not len(clause) or clause.start_char > quote.start or clause.end_char < quote.end:
        return None
    return clause


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
            confidence=0.9,
            rule="interview_turn",
        )
        for a in interview_answers(text)
        if _reads_as_speech(text[a.start : a.end])
    ]


def _reads_as_speech(paragraph: str) -> bool:
    """An answer's paragraph that is a heading ("Reasons:") or a line of a chart or list
    ("██ Red deer: 7") is layout, not words said (issue 20); "No." is an answer."""
    heading = paragraph.rstrip().endswith(":") and len(paragraph.split()) <= 3
    return not heading and (paragraph[0].isalnum() or paragraph[0] in QUOTE_MARKS + "'‘(")


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
        # a straight double mark standing alone ('… the vote, " he said') closes an open quote
        loose = straight == '"' and before.isspace() and after.isspace() and open_at is not None
        closes = (char == closing and (straight == '"' or ends_here)) or (
            char == straight and (not before.isspace() or loose) and ends_here
        )
        if opens and not (closes and open_at is not None):
            if open_at is not None:
                end = _rstrip(text, open_at + 1, i)
                spans.append((open_at + 1, end, end))
            open_at = i
        elif closes and open_at is not None:
            spans.append((open_at + 1, _rstrip(text, open_at + 1, i), i + 1))
            open_at = None
    if open_at is not None and straight == '"':
        # only double marks open a quote that runs to the end of its paragraph
        end = _rstrip(text, open_at + 1, line_end)
        spans.append((open_at + 1, end, end))
    return spans


def _rstrip(text: str, start: int, end: int) -> int:
    return start + len(text[start:end].rstrip())


def _marked_quotes(doc: Doc, mentions: Sequence[EntityMention]) -> list[QuoteSpan]:
    body = doc.text  # once: spaCy rebuilds it from the tokens on every access
    starts = [token.idx for token in doc]
    spans = quote_spans(body)
    marks = [(start - 1, mark_end) for start, _, mark_end in spans]
    quotes: list[QuoteSpan] = []
    previous: PreviousQuote | None = None
    for start, end, mark_end in spans:
        text = body[start:end]
        context = doc.char_span(start - 1, mark_end, alignment_mode="expand")
        if context is None:
            continue
        full = _is_full_quote(body, start, end, mark_end, sentences_of(context))
        kind = "direct" if full else "partial"
        attribution = attribute(
            QuoteContext(
                doc, body, starts, start, end, start - 1, mark_end, marks, mentions, previous
            )
        )
        if not _is_statement(text, kind, attribution):
            continue  # scare quotes, titles and nicknames: no one is said to say them
        quotes.append(make_quote(text, start, end, kind, attribution))
        previous = PreviousQuote(mark_end, attribution)
    return quotes


def _is_full_quote(body: str, start: int, end: int, mark_end: int, sentences: list[Span]) -> bool:
    """A whole statement rather than a phrase: it closes on punctuation inside or just outside
    the marks (British style: "…as a nation", said X), or it stands at the start of a sentence
    or after a colon or comma and does not begin in lower case."""
    text = body[start:end].rstrip()
    if text[-1:] in tuple(".,!?…:;") or body[mark_end : mark_end + 1] in tuple(",.!?"):
        return True
    if text[:1].islower():
        return False
    before = body[sentences[0].start_char : start - 1].strip()
    return not before or before.endswith((":", ","))


def _is_statement(text: str, kind: str, attribution: Attribution) -> bool:
    """Keep a partial quote of two words or more that has a speech verb, and a direct quote
    that has a speaker or reads as a sentence; drop single quoted words ("smart" fridges)."""
    words = len(text.split())
    attributed = attribution.cue is not None or attribution.speaker_text is not None
    if kind == "partial":
        # a phrase in marks with no one said to say it is a term or a name (issue 20)
        return attribution.speaker_text is not None and words >= 2
    return attributed or words >= 3 or text.rstrip()[-1:] in ".!?"


def _block_quotes(
    doc: Doc, mentions: Sequence[EntityMention], quoted: list[tuple[int, int]]
) -> list[QuoteSpan]:
    """A paragraph without quotation marks introduced by a line ending in "said:" or "said;"."""
    quotes = []
    body = doc.text
    lines = list(_lines(body))
    for (intro_start, intro_end), (start, end) in zip(lines, lines[1:], strict=False):
        intro = body[intro_start:intro_end]
        match = _block_intro_re.search(intro)
        if not match:
            continue
        # "He said:" ends on the verb; "… told reporters:" has one word after it
        group = next((g for g in (2, 1) if match.group(g) and verb_lemma(match.group(g))), None)
        if group is None:
            continue
        text = body[start:end]
        if text[0] in QUOTE_MARKS or inside(start, quoted):
            continue
        verb = doc.char_span(intro_start + match.start(group), intro_start + match.end(group))
        found = speaker_of(verb[0], mentions, quoted) if verb is not None else None
        attribution = attribution_of(found, 0.8, "block_intro")
        quotes.append(make_quote(text, start, end, "block", attribution))
    return quotes


def _lines(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each non-blank line, without surrounding whitespace."""
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            yield match.start() + lead, match.start() + len(line.rstrip())
