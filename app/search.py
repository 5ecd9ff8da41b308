"""SQLite FTS5 full-text search: bm25 ranking, filters, facets, snippets and a time limit.

This is the only module with SQLite-specific SQL, so another engine can be added behind the same
functions later.
"""

import html
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.errors import InvalidSearchQuery, SearchTimeout
from app.query import FIELDS, QuerySyntaxError, to_fts5

# FTS5 virtual tables and their shadow tables (article_fts_data, …), created by raw SQL in the
# migrations and so absent from the models
FTS_TABLES = ("article_fts", "quote_fts")
# snippet markers that cannot occur in text, replaced by <mark> after HTML-escaping
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"
# how many SQLite VM instructions run between two checks of the deadline
_PROGRESS_STEPS = 10_000


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: leave the FTS tables out of autogenerate comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLES))


def validate_query(query: str, max_length: int, *, fields: tuple[str, ...] = FIELDS) -> str:
    """The FTS5 expression for a query in our language, or ``InvalidSearchQuery`` saying where
    it is wrong."""
    if len(query) > max_length:
        raise InvalidSearchQuery(
            f"The query is {len(query)} characters long; the limit is {max_length}."
        )
    try:
        return to_fts5(query, fields=fields)
    except QuerySyntaxError as exc:
        raise InvalidSearchQuery(str(exc), position=exc.position) from exc


@contextmanager
def time_limit(session: Session, timeout_ms: int) -> Iterator[None]:
    """Abort a query that runs past ``timeout_ms`` (datasette's sqlite_timelimit)."""
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    deadline = time.monotonic() + timeout_ms / 1000

    def handler() -> int:
        return 1 if time.monotonic() > deadline else 0

    # https://docs.python.org/3/library/sqlite3.html#sqlite3.Connection.set_progress_handler
    raw.set_progress_handler(handler, _PROGRESS_STEPS)
    try:
        yield
    except Exception as exc:
        if "interrupted" in str(exc):
            raise SearchTimeout(
                f"The search ran for more than {timeout_ms} ms and was stopped; "
                "try more specific words."
            ) from exc
        raise
    finally:
        raw.set_progress_handler(None, _PROGRESS_STEPS)


def _highlight(snippet: str) -> str:
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")


def rank_articles(
    session: Session, *, expression: str, limit: int, offset: int, timeout_ms: int
) -> tuple[list[dict[str, Any]], int]:
    """Rank articles matching an escaped FTS5 expression by bm25 (title weighted 10× body).

    The weights are the table's ``rank`` configuration, set in the migration:
    https://sqlite.org/fts5.html#sorting_by_auxiliary_function_results
    """
    rows_sql = text(
        """
        SELECT a.id, a.source_id, a.title, a.published, a.source, a.url, a.author, a.word_count,
               snippet(article_fts, -1, :open, :close, '…', 24) AS snippet,
               article_fts.rank AS score
        FROM article_fts JOIN article AS a ON a.id = article_fts.rowid
        WHERE article_fts MATCH :expression
        ORDER BY article_fts.rank, a.id
        LIMIT :limit OFFSET :offset
        """
    )
    count_sql = text("SELECT count(*) FROM article_fts WHERE article_fts MATCH :expression")
    params = {"expression": expression, "open": _MARK_OPEN, "close": _MARK_CLOSE}
    with time_limit(session, timeout_ms):
        total = session.execute(count_sql, params).scalar_one()
        rows = session.execute(rows_sql, {**params, "limit": limit, "offset": offset}).mappings()
        hits = [{**row, "snippet": _highlight(row["snippet"])} for row in rows]
    return hits, total


def quote_ids_matching(expression: str) -> Any:
    """A subquery of the ids of quotes whose text matches an escaped FTS5 expression."""
    return text("SELECT rowid FROM quote_fts WHERE quote_fts MATCH :quote_expression").bindparams(
        quote_expression=expression
    )
