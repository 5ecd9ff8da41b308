"""What the quote finders return, a ``QuoteSpan`` with its ``Attribution``, and the helpers over
spaCy spans that quoted passages (``app.nlp.quotes``) and reported speech share."""

from dataclasses import dataclass

from spacy.tokens import Span

from app.nlp.entities import EntityMention
from app.nlp.speakers import Speaker

# double quotation marks, straight and curly
QUOTE_MARKS = '"“”'


@dataclass(frozen=True)
class Attribution:
    cue: str | None
    speaker_text: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker: EntityMention | None
    confidence: float
    rule: str | None


NO_ATTRIBUTION = Attribution(None, None, None, None, None, 0.0, None)


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
    # how sure the attribution is (0 without a speaker), and the rule that made it
    confidence: float = 0.0
    rule: str | None = None


def attribution_of(found: Speaker | None, confidence: float, rule: str) -> Attribution:
    """The attribution a rule makes of the speaker it found: ``confidence`` with a speaker, 0
    with a cue alone."""
    if found is None:
        return NO_ATTRIBUTION
    sure = confidence if found.text is not None else 0.0
    return Attribution(found.cue, found.text, found.start, found.end, found.mention, sure, rule)


def make_quote(text: str, start: int, end: int, kind: str, attribution: Attribution) -> QuoteSpan:
    a = attribution
    return QuoteSpan(
        text=text,
        start=start,
        end=end,
        kind=kind,
        cue=a.cue,
        speaker_text=a.speaker_text,
        speaker_start=a.speaker_start,
        speaker_end=a.speaker_end,
        speaker=a.speaker,
        confidence=a.confidence,
        rule=a.rule,
    )


# what spaCy counts as punctuation but belongs to the words before it ("from 70% to 49%")
KEPT_MARKS = frozenset("% ‰".split())


def trim_span(span: Span) -> Span:
    """``span`` without punctuation or spaces at its end (but "49%" keeps its sign: issue 20)."""
    while len(span) and (span[-1].is_punct or span[-1].is_space):
        if span[-1].text in KEPT_MARKS:
            break
        span = span[:-1]
    return span


def sentences_of(span: Span) -> list[Span]:
    """The sentences ``span`` starts in, ends in or runs over."""
    first, last = span[0].sent, span[-1].sent
    return [s for s in span.doc.sents if first.start <= s.start <= last.start]
