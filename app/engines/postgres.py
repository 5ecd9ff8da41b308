"""The PostgreSQL engine: tsquery matching over the weighted ``search`` tsvector (titles A,
bodies B) with its GIN index, ts_rank_cd ranking over the same vectors stored inline in
``article_vector``, matches marked for the page's rows only (``postgres_marks``), facets and
``statement_timeout`` as the time limit."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.engines.common import (
    ArticleFilters,
    Highlight,
    SearchIndex,
    bounded_total,
    candidate_page,
    hit,
    known_past_bound,
    sampled_facets,
)
from app.engines.facets import facet_counts
from app.engines.filters import filter_clauses
from app.engines.postgres_marks import mark_rows
from app.engines.postgres_marks import quote_snippets as quote_snippets  # the engine's
from app.engines.tsquery import render_prefilter, render_tsquery
from app.errors import InvalidSearchQuery, SearchTimeout
from app.search.language import Node

# SQLSTATEs: https://www.postgresql.org/docs/15/errcodes-appendix.html
_QUERY_CANCELED = "57014"
_SYNTAX_ERRORS = ("42601", "22023")  # a tsquery PostgreSQL cannot read
# ts_rank_cd weights for {D, C, B, A}: a title (A) match counts ten times a body (B) match
_WEIGHTS = "'{0.1, 0.1, 0.1, 1.0}'"
# divided by the article's number of distinct words, as bm25 weighs a match in a short article
# above one in a long article: of the normalizations ts_rank_cd offers, the top 20 closest to
# FTS5's bm25 (10 queries on the development corpus: 0.94 of the same articles, against 0.76
# without; by length 0.91). Without it the longest articles lead, and marking them is slow.
_NORMALIZATION = 8
_ORDER_BY = {
    "relevance": "score DESC, a.id",
    "published": "a.published ASC NULLS LAST, a.id",
    "-published": "a.published DESC NULLS LAST, a.id DESC",
}
# the text as the migration indexes it: angle brackets as spaces (see postgres_search)
# rows per fetch and per word lookup in an export
_CHUNK = 200

_HIT_COLUMNS = "a.id, a.source_id, a.title, a.published, a.source, a.url, a.author, a.word_count"


@contextmanager
def time_limit(session: Session, timeout_ms: int, **settings: str) -> Iterator[None]:
    """Each statement of the block stops after ``timeout_ms`` (``statement_timeout``, local
    to the transaction, as are the other ``settings``, set in the same statement);
    PostgreSQL's refusal of a query is the query's fault, a 400."""
    connection = session.connection()
    # 0 would mean "no limit" to PostgreSQL; here it means "stop at once"
    values = {"statement_timeout": str(max(1, int(timeout_ms))), **settings}
    calls = ", ".join(f"set_config(:name_{n}, :value_{n}, true)" for n in range(len(values)))
    bound = {f"name_{n}": name for n, name in enumerate(values)}
    bound |= {f"value_{n}": value for n, value in enumerate(values.values())}
    connection.execute(text(f"SELECT {calls}"), bound)
    try:
        yield
    except DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate == _QUERY_CANCELED:
            raise SearchTimeout(
                f"The search ran for more than {timeout_ms} ms and was stopped; "
                "try more specific words."
            ) from exc
        if sqlstate in _SYNTAX_ERRORS:
            raise InvalidSearchQuery(f"The search engine refused the query: {exc.orig}.") from exc
        raise
    connection.execute(text("SELECT set_config('statement_timeout', '0', true)"))


def _where(
    tsquery: str, filters: ArticleFilters, prefilter: str | None = None, vectors: str = "a"
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause over ``article AS a`` and ``q`` (the tsquery); every value is bound.
    With a ``prefilter`` (``render_prefilter``), the index condition is that looser query;
    ``vectors`` names the relation whose ``search`` it reads (``s``: ``article_vector``)."""
    clauses = [f"{vectors}.search @@ q.q"]
    params: dict[str, Any] = {"tsquery": tsquery}
    if prefilter is not None:
        clauses = [f"{vectors}.search @@ to_tsquery('corpus', :prefilter)"]
        params["prefilter"] = prefilter
    clauses += filter_clauses(filters, params, entities=_entity_clauses)
    return " AND ".join(clauses), params


def _passing(session: Session, ids: list[int], filters: ArticleFilters) -> set[int]:
    """Which of these articles still exist and pass the filters."""
    params: dict[str, Any] = {"ids": ids}
    where = " AND ".join(
        ["a.id = ANY(:ids)", *filter_clauses(filters, params, entities=_entity_clauses)]
    )
    return {
        row[0] for row in _rows(session, f"SELECT a.id FROM article AS a WHERE {where}", params)
    }


def _entity_clauses(filters: ArticleFilters, params: dict[str, Any]) -> list[str]:
    """Articles mentioning any (or all) of the entities, the ids bound as one array."""
    if filters.all_entities:
        params["entity_ids"] = sorted(set(filters.entity_ids))
        return [
            "(SELECT count(DISTINCT m.entity_id) FROM mention m WHERE m.article_id = a.id "
            "AND m.entity_id = ANY(:entity_ids)) = cardinality(:entity_ids)"
        ]
    params["entity_ids"] = list(filters.entity_ids)
    return [
        "EXISTS (SELECT 1 FROM mention m WHERE m.article_id = a.id "
        "AND m.entity_id = ANY(:entity_ids))"
    ]


# the tsquery is made once per statement, as a one-row relation every clause can refer to
_FROM = "FROM article AS a CROSS JOIN to_tsquery('corpus', :tsquery) AS q(q)"


def _score(sort: str, vectors: str = "a") -> str:
    """ts_rank_cd in relevance order (higher is better); none in date order, where ranking
    would read every match's tsvector for nothing."""
    if sort == "relevance":
        return f"ts_rank_cd({_WEIGHTS}, {vectors}.search, q.q, {_NORMALIZATION})::float8 AS score"
    return "NULL::float8 AS score"


def _ranked(
    expression: Node, filters: ArticleFilters, counted: bool, collapse: bool = False
) -> tuple[str, dict[str, Any]]:
    """The statement that ranks the matches (``:limit`` rows from ``:offset``, and the total
    with ``counted``), reading the tsvectors inline from ``article_vector``, not from
    ``article.search`` in TOAST (phrase 52 -> 21-29 ms of CPU at 100,000 articles;
    docs/benchmarks.md). ``article`` is joined only for filters. The score is computed in a
    subquery (``OFFSET 0`` keeps it one) so that the window count keeps scores, not tsvectors.

    A phrase (or NEAR, or a field scope) is found through its prefilter: GIN knows neither
    positions nor weights, so the index finds the candidates of the looser query (the words
    anywhere), each read once to rank it, and a match is a candidate whose rank is above 0: a
    cover of the whole query exists (for a query without NOT, the same rows as ``@@``;
    tests/test_postgres.py). "united states", 100,000 articles: 74 -> 54 ms of CPU.

    With ``collapse``, each story's best match (``DISTINCT ON`` its story, ties to the lower
    id) over the same ranked rows; the window then counts stories."""
    prefilter = render_prefilter(expression)
    where, params = _where(render_tsquery(expression), filters, prefilter, vectors="s")
    joined = "JOIN article AS a ON a.id = s.article_id " if filters != ArticleFilters() else ""
    story = ""
    if collapse:
        joined += "LEFT JOIN story_article AS sa ON sa.article_id = s.article_id "
        story = ", coalesce(sa.story_id, -s.article_id) AS story"
    matches = (
        f"(SELECT s.article_id AS id, {_score('relevance', 's')}{story} "
        f"FROM article_vector AS s {joined}"
        f"CROSS JOIN to_tsquery('corpus', :tsquery) AS q(q) WHERE {where} OFFSET 0) AS m "
        f"{'WHERE score > 0 ' if prefilter is not None else ''}"
    )
    if collapse:
        matches = (
            f"(SELECT DISTINCT ON (story) id, score FROM {matches}"
            "ORDER BY story, score DESC, id) AS f "
        )
    window = ", count(*) OVER () AS total" if counted else ""
    sql = (
        f"SELECT id, score{window} FROM {matches}ORDER BY score DESC, id "
        "LIMIT :limit OFFSET :offset"
    )
    return sql, params


def _rows(session: Session, sql: str, params: dict[str, Any]) -> Any:
    return session.connection().execute(text(sql), params)


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
    """One page of articles matching ``query`` and the filters, the total, and the facet
    counts (with ``collapse``: one hit per story, its first match, and stories counted; with
    ``facet_sample``, facets over more matches than that count the ones added last; with
    ``index``, a relevance page past ``RANKER_FROM_MATCHES`` matches is the best of the
    index beside the database that pass the filters).
    The GIN index finds the matches; ranking reads their tsvectors but a top-N sort keeps only
    the page; matches are marked for the page's rows only."""
    where, params = _where(render_tsquery(expression), filters)
    if collapse:
        from app.engines.postgres_stories import story_facets, story_page, story_rows

        with time_limit(session, timeout_ms, enable_seqscan="off"):
            if sort == "relevance":
                sql, ranked_params = _ranked(expression, filters, counted=True, collapse=True)
                firsts, stories = story_rows(
                    session, sql, {**ranked_params, "limit": limit, "offset": offset}
                )
            else:
                firsts, stories = story_page(
                    session, where, {**params, "limit": limit, "offset": offset}, sort
                )
            by_story = story_facets(session, where, params, sort, facets, facet_size)
            return _page_hits(session, params["tsquery"], firsts, highlight), stories, by_story
    # the planner prices `search @@ q` on a sequential scan as cheap, but it decompresses every
    # article's tsvector; the GIN index's bitmap reads only the matching rows (at 100,000
    # articles, counting `year`: 310 ms → 75 ms)
    with time_limit(session, timeout_ms, enable_seqscan="off"):
        page = {**params, "limit": limit, "offset": offset}
        total: int | None = None
        counts: dict[str, list[dict[str, Any]]] = {}
        sample: int | None = None
        if facets and facet_sample is not None:
            # counted first, as far as the sample: past it, the facets read the sample only
            total = _bounded_total(session, where, params, count_up_to, index, filters)
            sample = facet_sample if sampled_facets(total, facet_sample) else None
        if facets:
            # before ranking, which reads every match's tsvector and pushes the article pages
            # the facets read out of shared_buffers (`year`: 601 -> 553 ms for both)
            newest = None
            if sample is not None and known_past_bound(index, filters, count_up_to):
                # the sample's ids from the index: no bitmap of every match to sort by id
                newest = index.newest(sample) if index is not None else None
            groups = _facet_groups(session, where, params, "entity" in facets, sample, newest)
            # the facets' pass counts the matches too (by date, no other pass does)
            total = sum(group[2] for group in groups) if total is None else total
            counts = facet_counts(session, groups, facets, facet_size)
        scores: dict[int, float | None] | None = None
        if sort == "relevance" and index is not None:
            if total is None:
                total = _bounded_total(session, where, params, count_up_to, index, filters)
            scores = candidate_page(
                index,
                lambda ids: _passing(session, ids, filters),
                filters=filters,
                limit=limit,
                offset=offset,
                total=total,
            )
        if scores is not None:
            ranked = []
        elif sort == "relevance":
            # the facets' pass counted the matches already: no window count then
            sql, ranked_params = _ranked(expression, filters, counted=total is None)
            ranked = _rows(session, sql, {**ranked_params, "limit": limit, "offset": offset}).all()
            total = ranked[0].total if ranked and total is None else total
        else:
            # by date, the newest-first index is walked and stops at the page
            ranked = _rows(
                session,
                f"SELECT a.id, {_score(sort)} {_FROM} WHERE {where} "
                f"ORDER BY {_ORDER_BY[sort]} LIMIT :limit OFFSET :offset",
                page,
            ).all()
        if total is None:  # by date: counted apart, and only as far as asked
            total = _bounded_total(session, where, params, count_up_to, index, filters)
        if scores is None:
            scores = {row.id: row.score for row in ranked}
        hits = _page_hits(session, params["tsquery"], scores, highlight)
    return hits, total, counts


def _bounded_total(
    session: Session,
    where: str,
    params: dict[str, Any],
    count_up_to: int | None,
    index: SearchIndex | None,
    filters: ArticleFilters,
) -> int:
    """``common.bounded_total`` on this engine."""
    return bounded_total(
        lambda sql, args: int(_rows(session, sql, args).scalar_one()),
        f"SELECT 1 {_FROM} WHERE {where}",
        params,
        count_up_to=count_up_to,
        index=index,
        filters=filters,
    )


def _page_hits(
    session: Session, tsquery: str, scores: dict[int, float | None], highlight: Highlight
) -> list[dict[str, Any]]:
    """The page's articles in the order of ``scores``, with snippets and match offsets."""
    if not scores:
        return []
    rows = _rows(
        session,
        f"SELECT {_HIT_COLUMNS}, a.body FROM article AS a WHERE a.id = ANY(:ids)",
        {"ids": list(scores)},
    )
    by_id = {
        hit["id"]: {**hit, "score": scores[hit["id"]]}
        for hit in _hits(session, tsquery, list(rows.mappings()), highlight)
    }
    return [by_id[article_id] for article_id in scores if article_id in by_id]


def _hits(
    session: Session, tsquery: str, rows: Sequence[Any], highlight: Highlight
) -> list[dict[str, Any]]:
    fields = [dict(row) for row in rows]
    mark_rows(session, tsquery, fields)
    return [hit({k: v for k, v in f.items() if k != "body"}, highlight) for f in fields]


def iter_hits(
    session: Session, *, expression: Node, filters: ArticleFilters, sort: str, highlight: Highlight
) -> Iterator[dict[str, Any]]:
    """Every matching article in order, fetched in chunks (a server-side cursor). In
    relevance order the matches are ranked by the page's statement (from ``article_vector``,
    without a limit), and each chunk of ids is then read and marked as a page is."""
    where, params = _where(render_tsquery(expression), filters)
    connection = session.connection()
    # as a page, in every order: the GIN bitmap, not a scan decompressing every vector
    connection.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    if sort == "relevance":
        sql, ranked_params = _ranked(expression, filters, counted=False)
        ranked = connection.execute(
            text(sql),
            {**ranked_params, "limit": None, "offset": 0},  # LIMIT NULL: every row
            execution_options={"yield_per": _CHUNK},
        )
        for ids in ranked.partitions(_CHUNK):
            scores = {row.id: row.score for row in ids}
            yield from _page_hits(session, params["tsquery"], scores, highlight)
        return
    result = connection.execute(
        text(
            f"SELECT {_HIT_COLUMNS}, a.body, {_score(sort)} {_FROM} WHERE {where} "
            f"ORDER BY {_ORDER_BY[sort]}"
        ),
        params,
        execution_options={"yield_per": _CHUNK},
    )
    for chunk in result.mappings().partitions(_CHUNK):
        yield from _hits(session, params["tsquery"], chunk, highlight)


# each match's source, month and packed entity ids (or none), grouped by source and month
_MONTH = "to_char(a.published, 'YYYY-MM')"
_PACKED = {True: "a.entity_ids", False: "NULL::bytea"}
_GROUPS = (
    "SELECT source, month, count(*)::int, string_agg(entity_ids, ''::bytea) FROM {matches} "
    "GROUP BY source, month"
)


def _facet_groups(
    session: Session,
    where: str,
    params: dict[str, Any],
    entities: bool,
    sample: int | None = None,
    newest: list[int] | None = None,
) -> list[Any]:
    """(source, 'YYYY-MM', matches, their packed entity ids joined) per source and month:
    the facets are counted from these as on SQLite (the entity ids with numpy), so both
    engines give the same facets, but a few rows cross to Python, not one per match (`year`
    at 100,000 articles: 63,509 rows and ~300 ms of Python before). With ``sample``, over
    that many matches, the ones added last (the highest ids), as on SQLite: ``newest``, when
    the index beside the database gave them, else found here."""
    source, limit = _FROM, "" if sample is None else " ORDER BY a.id DESC LIMIT :sample"
    if newest is not None:
        source, where, limit = "FROM article AS a", "a.id = ANY(:newest)", ""
        params = {"newest": newest}
    matches = (
        f"(SELECT a.source, {_MONTH} AS month, {_PACKED[entities]} AS entity_ids "
        f"{source} WHERE {where}{limit}) AS m"
    )
    return list(_rows(session, _GROUPS.format(matches=matches), {**params, "sample": sample}).all())


def entity_articles(
    session: Session, *, entity_id: int
) -> list[tuple[int, str | None, int, bytes]]:
    """For each article mentioning an entity: its id, its month ('YYYY-MM'), the entity's
    mentions in it, and the packed ids of the entities it mentions."""
    rows = _rows(
        session,
        f"""
        SELECT a.id, {_MONTH}, m.mentions::int, a.entity_ids
        FROM (SELECT article_id, count(*) AS mentions FROM mention
              WHERE entity_id = :entity_id GROUP BY article_id) AS m
        JOIN article AS a ON a.id = m.article_id
        """,
        {"entity_id": entity_id},
    )
    return [(i, month, mentions, bytes(packed or b"")) for i, month, mentions, packed in rows]
