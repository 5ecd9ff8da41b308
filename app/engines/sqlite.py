"""The SQLite engine: FTS5 full-text search with bm25 ranking, filters, facets, snippets and a
time limit (the functions ``app.search`` dispatches to on a SQLite database)."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.engines.common import (
    MARK_CLOSE,
    MARK_OPEN,
    ArticleFilters,
    Highlight,
    SearchIndex,
    bounded_total,
    candidate_page,
    highlighted,
    hit,
    sampled_facets,
)
from app.engines.facets import facet_counts
from app.engines.filters import filter_clauses
from app.engines.fts5 import render_fts5
from app.errors import InvalidSearchQuery, SearchTimeout
from app.search.language import Node, has_prefix

_MARKS = {"open": MARK_OPEN, "close": MARK_CLOSE}
# how many SQLite VM instructions run between two checks of the deadline
_PROGRESS_STEPS = 10_000


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
    except (OperationalError, sqlite3.OperationalError) as exc:
        error = exc.orig if isinstance(exc, OperationalError) else exc
        if getattr(error, "sqlite_errorname", None) == "SQLITE_INTERRUPT":
            raise SearchTimeout(
                f"The search ran for more than {timeout_ms} ms and was stopped; "
                "try more specific words."
            ) from exc
        if str(error).startswith("fts5:"):
            # our parser should never produce what FTS5 refuses; if it does, it is still the
            # query that is wrong, not the server
            raise InvalidSearchQuery(f"The search engine refused the query: {error}.") from exc
        raise
    finally:
        raw.set_progress_handler(None, _PROGRESS_STEPS)


def _run(session: Session, sql: str, params: dict[str, Any]) -> sqlite3.Cursor:
    """Run SQL text on the session's own SQLite connection (inside its transaction), past
    SQLAlchemy's statement layer: on a search page that layer cost more than SQLite's work."""
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw.execute(sql, params)


def _dicts(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return (dict(zip(names, row, strict=True)) for row in cursor)


_ORDER_BY = {
    "relevance": "article_fts.rank",
    "published": "a.published IS NULL, a.published, a.id",
    "-published": "a.published DESC, a.id DESC",  # NULLs sort last in descending order
}


def _where(expression: str, filters: ArticleFilters) -> tuple[str, dict[str, Any]]:
    """The WHERE clause and its parameters; every value is bound, none interpolated."""
    params: dict[str, Any] = {"expression": expression}
    clauses = filter_clauses(filters, params, entities=_entity_clauses, day=date.isoformat)
    return " AND ".join(["article_fts MATCH :expression", *clauses]), params


def _passing(session: Session, ids: list[int], filters: ArticleFilters) -> set[int]:
    """Which of these articles still exist and pass the filters."""
    params: dict[str, Any] = {f"id_{n}": article_id for n, article_id in enumerate(ids)}
    clauses = filter_clauses(filters, params, entities=_entity_clauses, day=date.isoformat)
    names = ", ".join(f":id_{n}" for n in range(len(ids)))
    where = " AND ".join([f"a.id IN ({names})", *clauses])
    return {row[0] for row in _run(session, f"SELECT a.id FROM article AS a WHERE {where}", params)}


def _entity_clauses(filters: ArticleFilters, params: dict[str, Any]) -> list[str]:
    """Articles mentioning any (or all) of the entities, one bound name per id."""
    names = [f":entity_{n}" for n in range(len(filters.entity_ids))]
    params.update(zip([n[1:] for n in names], filters.entity_ids, strict=True))
    if filters.all_entities:
        return [
            f"EXISTS (SELECT 1 FROM mention m WHERE m.article_id = a.id AND m.entity_id = {n})"
            for n in names
        ]
    return [
        "EXISTS (SELECT 1 FROM mention m WHERE m.article_id = a.id "
        f"AND m.entity_id IN ({', '.join(names)}))"
    ]


def _from(filters: ArticleFilters) -> str:
    """The FROM clause: the index alone when no filter needs the article row."""
    return _FROM if filters != ArticleFilters() else "FROM article_fts"


def rank_articles(
    session: Session,
    *,
    expression: Node,
    filters: ArticleFilters,
    sort: str,
    limit: int,
    offset: int,
    highlight: Highlight,
    facets: tuple[str, ...] = (),
    facet_size: int = 10,
    timeout_ms: int,
    collapse: bool = False,
    count_up_to: int | None = None,
    facet_sample: int | None = None,
    index: SearchIndex | None = None,
) -> tuple[list[dict[str, Any]], int, dict[str, list[dict[str, Any]]]]:
    """One page of articles matching a query and the filters, the total, and the requested
    facet counts over all matches (with ``collapse``: over each story's first match). With
    ``count_up_to``, the count of matches stops one past it (``bounded_count``); with
    ``facet_sample``, facets over more matches than that count the ``facet_sample`` matches
    added last (``common.sampled_facets``).

    Relevance is bm25 with a title match worth ten body matches: the table's ``rank``
    configuration, set in the migration. Every match is scored; ordering by ``rank, rowid``
    with a LIMIT keeps only the page in SQLite's top-N sorter, which costs less than FTS5's own
    sort by rank of every match; snippets and match offsets are then made for the page's rows
    only (``_page_hits``). With ``index`` (the index beside the database), a relevance page
    past ``RANKER_FROM_MATCHES`` matches is the index's best that pass the filters.
    """
    fts5 = render_fts5(expression)
    where, params = _where(fts5, filters)
    if collapse:
        from app.engines.sqlite_stories import story_facets, story_page  # imports this module

        with time_limit(session, timeout_ms):
            firsts, stories = story_page(
                session, where, _from(filters), {**params, "limit": limit, "offset": offset}, sort
            )
            by_story = story_facets(session, where, params, sort, facets, facet_size)
            return _page_hits(session, expression, firsts, highlight), stories, by_story
    with time_limit(session, timeout_ms):
        total = _bounded_total(session, where, params, count_up_to, filters)
        page = {**params, "limit": limit, "offset": offset}
        scores = None
        if sort == "relevance":
            scores = candidate_page(
                index,
                lambda ids: _passing(session, ids, filters),
                filters=filters,
                limit=limit,
                offset=offset,
                total=total,
            )
        if scores is None and sort == "-published":
            from app.engines.sqlite_dates import newest_first  # imports this module

            scores = newest_first(session, expression, where, filters, page, total)
        if scores is not None:
            ids_sql = ""
        elif sort == "relevance":
            # ties by rowid: SQLite keeps the page in a top-N sorter rather than letting FTS5
            # sort every match by rank (the same rows; `year` at 100,000: 255 -> 200 ms)
            ids_sql = (
                f"SELECT article_fts.rowid, {_score(sort)} {_from(filters)} WHERE {where} "
                "ORDER BY article_fts.rank, article_fts.rowid"
            )
        else:
            ids_sql = (
                f"SELECT a.id, {_score(sort)} {_FROM} WHERE {where} ORDER BY {_ORDER_BY[sort]}"
            )
        if scores is None:
            ranked = _run(session, f"{ids_sql} LIMIT :limit OFFSET :offset", page)
            scores = dict(ranked.fetchall())
        hits = _page_hits(session, expression, scores, highlight)
        sample = facet_sample if sampled_facets(total, facet_sample) else None
        counts = _facets(session, facets, where, params, facet_size, sample) if facets else {}
    return hits, total, counts


def _bounded_total(
    session: Session,
    where: str,
    params: dict[str, Any],
    count_up_to: int | None,
    filters: ArticleFilters,
) -> int:
    """``common.bounded_total`` on this engine, without asking the index: FTS5 stops reading
    the doclist at the bound (`year` at a million: 1 ms), sooner than tantivy counts."""
    return bounded_total(
        lambda sql, args: int(_run(session, sql, args).fetchone()[0]),
        f"SELECT 1 {_from(filters)} WHERE {where}",
        params,
        count_up_to=count_up_to,
        index=None,
        filters=filters,
    )


def _ranked_hits(
    session: Session, where: str, page: dict[str, Any], highlight: Highlight
) -> Iterator[dict[str, Any]]:
    """Every match in bm25 order (``limit`` -1: the export), marked as it is read, in one
    statement: FTS5 sorts by rank inside the index, and SQLite computes
    ``highlight()`` and reads the full row only for the rows it returns (filters read the
    narrow index ``a``, the page's columns the row ``r``). Looking the page up again by id
    would open the index once per id."""
    rows = _run(
        session,
        f"""
        SELECT {_hit_columns("r")}, {_score("relevance")},
               highlight(article_fts, 0, :open, :close) AS marked_title,
               highlight(article_fts, 1, :open, :close) AS marked_body
        {_FROM} CROSS JOIN article AS r ON r.id = article_fts.rowid
        WHERE {where} ORDER BY article_fts.rank LIMIT :limit OFFSET :offset
        """,
        {**page, **_MARKS},
    )
    return (hit(row, highlight) for row in _dicts(rows))


def _score(sort: str) -> str:
    """The score column: bm25 in relevance order, where it comes free with the order, negated
    so that higher is better on every engine; none in date order, where it would cost a second
    pass over every match of each term."""
    return "-article_fts.rank AS score" if sort == "relevance" else "NULL AS score"


def _hit_columns(alias: str) -> str:
    """The article columns a search hit shows, read from the table under ``alias``."""
    columns = ("id", "source_id", "title", "published", "source", "url", "author", "word_count")
    return ", ".join(f"{alias}.{column}" for column in columns)


_HIT_COLUMNS = _hit_columns("a")


def _page_hits(
    session: Session, expression: Node, scores: dict[int, float | None], highlight: Highlight
) -> list[dict[str, Any]]:
    """The page's articles, in the order of ``scores`` (article id → score), with snippets
    and match offsets.

    FTS5 looks each id up in the index, which is quick for words but expands a prefix again
    for every id (`con*` at 100,000 articles: 286 ms for 20 ids). With a prefix, the unary
    ``+`` keeps the ids from FTS5 (https://sqlite.org/optoverview.html, "Disqualifying WHERE
    clause terms using unary +"): it finds the matches once and SQLite keeps the page's."""
    if not scores:
        return []
    ids = list(scores)
    names = {f"id_{n}": article_id for n, article_id in enumerate(ids)}
    rowid = "+article_fts.rowid" if has_prefix(expression) else "article_fts.rowid"
    rows = _run(
        session,
        f"""
        SELECT {_HIT_COLUMNS},
               highlight(article_fts, 0, :open, :close) AS marked_title,
               highlight(article_fts, 1, :open, :close) AS marked_body
        {_FROM_ROWS} WHERE article_fts MATCH :expression
        AND {rowid} IN ({", ".join(":" + n for n in names)})
        """,
        {"expression": render_fts5(expression), **_MARKS, **names},
    )
    by_id = {row["id"]: {**hit(row, highlight), "score": scores[row["id"]]} for row in _dicts(rows)}
    return [by_id[article_id] for article_id in ids if article_id in by_id]


EXPORT_FIRST_ROWS = 20  # a page


def iter_hits(
    session: Session, *, expression: Node, filters: ArticleFilters, sort: str, highlight: Highlight
) -> Iterator[dict[str, Any]]:
    """Every matching article in the order of the pages: the search export. The first line
    comes as soon as a page would: in bm25 order FTS5 sorts inside the index and rows are
    marked as they are read; in date order the first page is picked by id and marked, and one
    sorted statement marks the rest (a sort over marked rows marks every match before its
    first row)."""
    where, params = _where(render_fts5(expression), filters)
    if sort == "relevance":
        yield from _ranked_hits(session, where, {**params, "limit": -1, "offset": 0}, highlight)
        return
    first = _run(
        session,
        f"SELECT a.id, NULL {_FROM} WHERE {where} ORDER BY {_ORDER_BY[sort]} LIMIT :limit",
        {**params, "limit": EXPORT_FIRST_ROWS},
    ).fetchall()
    yield from _page_hits(session, expression, dict(first), highlight)
    if len(first) < EXPORT_FIRST_ROWS:
        return
    rest = _run(
        session,
        f"""
        SELECT {_HIT_COLUMNS}, {_score(sort)},
               highlight(article_fts, 0, :open, :close) AS marked_title,
               highlight(article_fts, 1, :open, :close) AS marked_body
        {_FROM_ROWS} WHERE {where} ORDER BY {_ORDER_BY[sort]} LIMIT -1 OFFSET :offset
        """,
        {**params, **_MARKS, "offset": len(first)},
    )
    yield from (hit(row, highlight) for row in _dicts(rest))


# CROSS JOIN keeps the index as the outer loop (https://sqlite.org/optoverview.html#crossjoin):
# left to itself, SQLite may walk every article by source or date and probe the index per row.
# Filters and facets read the narrow covering index, pages the table's full rows.
_FROM = (
    "FROM article_fts CROSS JOIN article AS a INDEXED BY ix_article_facets "
    "ON a.id = article_fts.rowid"
)
_FROM_ROWS = "FROM article_fts CROSS JOIN article AS a ON a.id = article_fts.rowid"


def _facets(
    session: Session,
    names: tuple[str, ...],
    where: str,
    params: dict[str, Any],
    size: int,
    sample: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Counts over all matches (or the ``sample`` added last: FTS5 reads its index backwards
    and stops there), from one pass over the matching articles: their source, month and (for
    the entity facet) the packed ids of the entities they mention."""
    entities = "entity" in names
    columns = "a.source, substr(a.published, 1, 7), 1" + (", a.entity_ids" if entities else "")
    sql = f"SELECT {columns} {_FROM} WHERE {where}"
    if sample is not None:
        sql += " ORDER BY article_fts.rowid DESC LIMIT :sample"
        params = {**params, "sample": sample}
    rows = _run(session, sql, params).fetchall()
    return facet_counts(session, rows, names, size, all_ones=True)


def entity_articles(
    session: Session, *, entity_id: int
) -> list[tuple[int, str | None, int, bytes]]:
    """For each article mentioning an entity: its id, its month ('YYYY-MM'), the entity's
    mentions in it, and the packed ids of the entities it mentions. Read from the covering
    index: in the table, ``entity_ids`` sits after the body, on its overflow pages."""
    rows = _run(
        session,
        """
        SELECT a.id, substr(a.published, 1, 7), m.mentions, a.entity_ids
        FROM (SELECT article_id, count(*) AS mentions FROM mention
              WHERE entity_id = :entity_id GROUP BY article_id) AS m
        CROSS JOIN article AS a INDEXED BY ix_article_facets ON a.id = m.article_id
        """,
        {"entity_id": entity_id},
    )
    return [(i, month, mentions, packed or b"") for i, month, mentions, packed in rows]


def quote_snippets(
    session: Session, *, expression: Node, quote_ids: list[int], highlight: Highlight
) -> dict[int, str]:
    """Highlighted quote text for the given quotes matching a query."""
    if not quote_ids:
        return {}
    names = {f"id_{n}": quote_id for n, quote_id in enumerate(quote_ids)}
    sql = text(
        "SELECT rowid, snippet(quote_fts, 0, :open, :close, '…', 32) AS snippet FROM quote_fts "
        f"WHERE quote_fts MATCH :expression AND rowid IN ({', '.join(':' + n for n in names)})"
    )
    params = {"expression": render_fts5(expression), **_MARKS, **names}
    return {
        row.rowid: highlighted(row.snippet, highlight)
        for row in session.connection().execute(sql, params)
    }
