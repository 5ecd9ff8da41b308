"""Matches marked in titles and bodies for PostgreSQL hits, without ts_headline, which parses
and normalizes every word of every body (about 1 ms per 4 kB): only the page's words that could
be a query's lexeme (same first letters) are normalized, by PostgreSQL, in one statement."""

import re
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.engines import folded
from app.engines.common import MARK_CLOSE, MARK_OPEN

# the words of a text as PostgreSQL's parser mostly sees them (letters and digits)
_word_re = re.compile(r"[^\W_]+")
# a lexeme of a normalized tsquery or tsvector: 'it''s':*AB, possibly negated by a "!"
_lexeme_re = re.compile(r"(!?)\s*'((?:[^']|'')*)'(?::(\*?)([A-D]*))?")
# stemming keeps a word's first letters (folded): "running" → "run", "Cafés" → "cafe"
_HEAD = 3


class QueryLexemes:
    """The lexemes a query looks for, by field (weight A: titles, B: bodies)."""

    def __init__(self, normalized: str) -> None:
        self.exact: dict[str, set[str]] = {"A": set(), "B": set()}
        self.prefixes: dict[str, set[str]] = {"A": set(), "B": set()}
        for negated, lexeme, star, weights in _lexeme_re.findall(normalized):
            if negated:  # as FTS5's highlight(): what a query excludes is not marked
                continue
            for weight in weights or "AB":
                if weight in "AB":
                    kind = self.prefixes if star else self.exact
                    kind[weight].add(lexeme.replace("''", "'"))

    def heads(self) -> set[str]:
        """The first letters of every lexeme: a word whose folded form starts otherwise
        cannot stem to any of them."""
        every = set().union(*self.exact.values(), *self.prefixes.values())
        return {lexeme[:_HEAD] for lexeme in every}

    def matches(self, weight: str, lexemes: list[str]) -> bool:
        return any(
            lexeme in self.exact[weight]
            or any(lexeme.startswith(prefix) for prefix in self.prefixes[weight])
            for lexeme in lexemes
        )


def mark_rows(session: Session, tsquery: str, rows: list[dict[str, Any]]) -> None:
    """Add ``marked_title`` and ``marked_body`` to each row (with ``title`` and ``body``): the
    text with every word whose lexeme the query names wrapped in the markers."""
    if not rows:
        return
    connection = session.connection()
    normalized = connection.execute(text("SELECT to_tsquery('corpus', :q)::text"), {"q": tsquery})
    wanted = QueryLexemes(normalized.scalar_one())
    heads = tuple(wanted.heads())
    words: set[str] = set()
    for row in rows:
        words.update(_word_re.findall(row["title"].lower()))
        words.update(_word_re.findall(row["body"].lower()))
    # ASCII words are folded already (lower case): the common case skips the decomposition
    candidates = sorted(
        w for w in words if (w if w.isascii() else folded(w) or w).startswith(heads)
    )
    found: dict[str, set[str]] = {"A": set(), "B": set()}
    if candidates:
        lexemes = connection.execute(
            text("SELECT w, to_tsvector('corpus', w)::text FROM unnest(CAST(:w AS text[])) w"),
            {"w": candidates},
        )
        for word, vector in lexemes:
            forms = [m[1].replace("''", "'") for m in _lexeme_re.findall(vector)]
            for weight, hits in found.items():
                if wanted.matches(weight, forms):
                    hits.add(word)
    for row in rows:
        row["marked_title"] = _marked(row["title"], found["A"])
        row["marked_body"] = _marked(row["body"], found["B"])


def _marked(value: str, words: set[str]) -> str:
    """``value`` with each of ``words`` (lower case, whole words) between the markers."""
    if not words:
        return value
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)

    def mark(match: re.Match[str]) -> str:
        found = match.group()
        return f"{MARK_OPEN}{found}{MARK_CLOSE}" if found.lower() in words else found

    return pattern.sub(mark, value)
