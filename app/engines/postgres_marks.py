"""Matches marked in titles and bodies for PostgreSQL hits, without ts_headline, which parses
and normalizes every word of every body (about 1 ms per 4 kB): only the page's words that could
be a query's lexeme (same first letters) are normalized, by PostgreSQL, in one statement.
Quotes, short, get ts_headline's snippets (``quote_snippets``)."""

import re
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from app.db.folding import folded
from app.engines.common import MARK_CLOSE, MARK_OPEN, Highlight, highlighted
from app.engines.tsquery import render_tsquery
from app.search.language import Node

# a quote's snippet: ts_headline over its text (angle brackets made spaces, as FTS5 sees
# them), with the marks of FTS5's snippet()
_QUOTE_HEADLINE = f"'MaxWords=32, MinWords=12, StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}'"
_PLAIN = "translate({}, '<>', '  ')"
_BRACKETS = str.maketrans("<>", "  ")
# the rest of a word from where it starts, as PostgreSQL's parser mostly sees words (letters
# and digits; `[^\W_]` is str.isalnum())
_word_re = re.compile(r"[^\W_]+")
# a character outside ASCII: a word holding one is folded before its first letters are compared
_non_ascii_re = re.compile(r"[^\x00-\x7f]")
# a lexeme of a normalized tsquery or tsvector: 'it''s':*AB, possibly negated by a "!"
_lexeme_re = re.compile(r"(!?)\s*'((?:[^']|'')*)'(?::(\*?)([A-D]*))?")
# stemming keeps a word's first letters (folded): "running" → "run", "Cafés" → "cafe"
_HEAD = 3

Span = tuple[int, int, str]  # where a word starts and ends in a text, and the word in lower case


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
    wanted = _STEMMER.query(session, tsquery)
    heads = tuple(wanted.heads())
    spans = {
        (index, field): candidates(row[field], heads)
        for index, row in enumerate(rows)
        for field in ("title", "body")
    }
    stems = _STEMMER.words(session, {word for found in spans.values() for _, _, word in found})
    marked = {
        weight: {word for word, forms in stems.items() if wanted.matches(weight, forms)}
        for weight in ("A", "B")
    }
    for index, row in enumerate(rows):
        for field, weight in (("title", "A"), ("body", "B")):
            found = [span for span in spans[index, field] if span[2] in marked[weight]]
            row[f"marked_{field}"] = _marked(row[field], found)


class Stemmer:
    """What the 'corpus' text search configuration makes of queries and words, asked of
    PostgreSQL and remembered, so a page whose words were seen before needs no statement. The
    configuration changes only with a migration: a server that runs through one marks with
    the old stems (the matches themselves are the index's) until it restarts. Bounded: each
    kind forgets everything when full."""

    def __init__(self, queries: int, words: int) -> None:
        self.limits = (queries, words)
        self.queries: dict[str, QueryLexemes] = {}
        self.forms: dict[str, list[str]] = {}

    def query(self, session: Session, tsquery: str) -> QueryLexemes:
        if (known := self.queries.get(tsquery)) is None:
            normalized = session.connection().execute(
                text("SELECT to_tsquery('corpus', :q)::text"), {"q": tsquery}
            )
            known = QueryLexemes(normalized.scalar_one())
            _remember(self.queries, self.limits[0], tsquery, known)
        return known

    def words(self, session: Session, words: set[str]) -> dict[str, list[str]]:
        """Each word's lexemes."""
        found = {word: forms for word in words if (forms := self.forms.get(word)) is not None}
        if unknown := sorted(words.difference(found)):
            vectors = session.connection().execute(
                text("SELECT w, to_tsvector('corpus', w)::text FROM unnest(CAST(:w AS text[])) w"),
                {"w": unknown},
            )
            for word, vector in vectors:
                forms = [m[1].replace("''", "'") for m in _lexeme_re.findall(vector)]
                found[word] = forms
                _remember(self.forms, self.limits[1], word, forms)
        return found


def _remember(known: dict[str, Any], limit: int, key: str, value: Any) -> None:
    if len(known) >= limit:
        known.clear()
    known[key] = value


# a query's lexemes weigh kilobytes, a word's a few dozen bytes
_STEMMER = Stemmer(queries=2_000, words=100_000)


def candidates(value: str, heads: tuple[str, ...]) -> list[Span]:
    """The words of ``value`` that could stem to a lexeme starting with one of ``heads``, in
    order: found by searching for the heads (str.find, in C) rather than reading every word,
    plus the words with a letter outside ASCII, whose folded form is compared."""
    heads = tuple(head for head in heads if head.isalnum())  # a word is letters and digits
    lower = value.lower()
    if len(lower) != len(value):  # a letter whose lower case is longer ("İ"): offsets move
        return _every_word(value, heads)
    starts = set()
    for head in heads:
        at = lower.find(head)
        while at != -1:
            if at == 0 or not lower[at - 1].isalnum():
                starts.add(at)
            at = lower.find(head, at + 1)
    spans = [_span(lower, start) for start in starts]
    at = 0
    # each word holding a letter outside ASCII, once (a text without spaces, as Chinese, is
    # one long word: looking at it again for each of its letters would take quadratic time)
    while (letter := _non_ascii_re.search(lower, at)) is not None:
        at = letter.end()
        if not letter.group().isalnum():
            continue
        start = letter.start()
        while start and lower[start - 1].isalnum():
            start -= 1
        span = _span(lower, start)
        at = span[1]
        if start not in starts and _starts_like(span[2], heads):
            starts.add(start)
            spans.append(span)
    return sorted(spans)


def _span(lower: str, start: int) -> Span:
    word = _word_re.match(lower, start)
    assert word is not None
    return start, word.end(), word.group()


def _every_word(value: str, heads: tuple[str, ...]) -> list[Span]:
    """``candidates`` word by word, for a text whose lower case is not as long as itself."""
    spans = []
    for word in _word_re.finditer(value):
        lower = word.group().lower()
        if _starts_like(lower, heads):
            spans.append((word.start(), word.end(), lower))
    return spans


def _starts_like(word: str, heads: tuple[str, ...]) -> bool:
    """Does ``word`` (lower case) start with one of ``heads`` once folded? ASCII words are
    folded already: the common case skips the decomposition."""
    return (word if word.isascii() else folded(word) or word).startswith(heads)


def _marked(value: str, spans: list[Span]) -> str:
    """``value`` with each span between the markers."""
    parts, last = [], 0
    for start, end, _ in spans:
        parts += [value[last:start], MARK_OPEN, value[start:end], MARK_CLOSE]
        last = end
    return "".join([*parts, value[last:]])


def quote_snippets(
    session: Session, *, expression: Node, quote_ids: list[int], highlight: Highlight
) -> dict[int, str]:
    """Highlighted fragments of the given quotes matching ``query``, with '…' where text was
    left out (as FTS5's snippet())."""
    if not quote_ids:
        return {}
    sql = text(
        f"SELECT qt.id, qt.text, "
        f"ts_headline('corpus', {_PLAIN.format('qt.text')}, q.q, {_QUOTE_HEADLINE}) AS s "
        "FROM quote qt CROSS JOIN to_tsquery('corpus', :tsquery) AS q(q) "
        "WHERE qt.id IN :ids AND qt.search @@ q.q"
    ).bindparams(bindparam("ids", expanding=True))
    rows = session.connection().execute(
        sql, {"tsquery": render_tsquery(expression), "ids": quote_ids}
    )
    snippets = {}
    for row in rows:
        text_seen = row.text.translate(_BRACKETS)
        plain = row.s.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
        fragment = ("" if text_seen.startswith(plain) else "…") + row.s
        fragment += "" if text_seen.endswith(plain) else "…"
        snippets[row.id] = highlighted(fragment, highlight)
    return snippets
