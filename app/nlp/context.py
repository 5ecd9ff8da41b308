"""What an attribution rule sees of a quoted passage: its doc, its paragraph, the tokens just
before and after its marks, and the quote before it (``app.nlp.attribution``)."""

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from spacy.tokens import Doc, Token

from app.nlp.entities import EntityMention
from app.nlp.spans import Attribution
from app.nlp.speakers import inside

# a quote ends where its attribution may follow: "…," she said / "…?" he asked / "…" — X said
_TAIL_TOKENS = 16


@dataclass(frozen=True)
class QuoteContext:
    """A quoted passage and what a rule may look at around it."""

    doc: Doc
    text: str  # doc.text, which spaCy rebuilds from the tokens on every access
    token_starts: Sequence[int]  # token.idx of every token, for bisection
    start: int  # first character inside the marks
    end: int
    open_at: int  # the opening mark
    mark_end: int  # just after the closing mark (or the text, for an unclosed quote)
    quoted: Sequence[tuple[int, int]]  # every quoted passage, marks included
    mentions: Sequence[EntityMention]
    previous: "PreviousQuote | None"

    @cached_property
    def paragraph(self) -> tuple[int, int]:
        text = self.text
        start = text.rfind("\n", 0, self.open_at) + 1
        end = text.find("\n", self.mark_end)
        return start, len(text) if end == -1 else end

    @cached_property
    def tail(self) -> list[Token]:
        """Tokens right after the closing mark, up to the next quote or the paragraph end."""
        tokens: list[Token] = []
        token = _token_at(self.doc, self.token_starts, self.mark_end)
        while token is not None and len(tokens) < _TAIL_TOKENS:
            if token.idx >= self.paragraph[1] or inside(token.idx, self.quoted):
                break
            tokens.append(token)
            token = token.nbor(1) if token.i + 1 < len(self.doc) else None
        return tokens

    @cached_property
    def lead(self) -> list[Token]:
        """Tokens of the quote's sentence before the opening mark, in its paragraph and after
        any earlier quote."""
        opening = _token_at(self.doc, self.token_starts, self.open_at)
        if opening is None:
            return []
        floor = max(opening.sent.start_char, self.paragraph[0])
        if self.previous is not None and self.previous.mark_end <= self.open_at:
            floor = max(floor, self.previous.mark_end)
        return [
            t
            for t in self.doc[opening.sent.start : opening.i]
            if t.idx >= floor and t.idx < self.open_at and not inside(t.idx, self.quoted)
        ]

    @property
    def ends_sentence(self) -> bool:
        """The quote closes its sentence ("…." rather than "…,"; "…?" only when a capital that
        is no name follows: '"How do I look?" His aide said that …' is a new sentence)."""
        last = self.text[self.start : self.end].rstrip()[-1:]
        if last in "?!" and last:
            words = [t for t in self.tail if not (t.is_punct or t.is_space)]
            return bool(words) and words[0].text[:1].isupper() and words[0].pos_ in ("DET", "PRON")
        return last == "."


@dataclass(frozen=True)
class PreviousQuote:
    mark_end: int
    attribution: Attribution


def _token_at(doc: Doc, starts: Sequence[int], offset: int) -> Token | None:
    """The first token starting at or after ``offset``."""
    i = bisect_left(starts, offset)
    return doc[i] if i < len(doc) else None
