"""The SQLite engine's searches collapsed by story (``collapse=story``): each story's first
match, a page of stories and their facets; entered from ``sqlite.rank_articles``."""

from typing import Any

from sqlmodel import Session

from app.engines.facets import facet_counts
from app.engines.sqlite import _FROM, _run, _score

# the order within a story that picks its first match, and the order of the stories' pages
_FIRST_IN_STORY = {
    "relevance": ("article_fts.rank, a.id", "score DESC, id"),
    "published": ("a.published IS NULL, a.published, a.id", "published IS NULL, published, id"),
    "-published": ("a.published DESC, a.id DESC", "published DESC, id DESC"),
}


def _firsts_of_stories(where: str, sort: str, columns: str) -> str:
    """Each story's first match in ``sort`` order (the best ranked one by relevance), as
    ``id, score, published`` and ``columns``; articles in no story count as their own."""
    within, _ = _FIRST_IN_STORY[sort]
    return f"""
        SELECT * FROM (
            SELECT a.id, {_score(sort)}, a.published, {columns},
                   row_number() OVER (
                       PARTITION BY coalesce(sa.story_id, -a.id) ORDER BY {within}
                   ) AS place
            {_FROM} LEFT JOIN story_article AS sa ON sa.article_id = a.id
            WHERE {where}
        ) WHERE place = 1
    """


def story_page(
    session: Session, where: str, from_: str, page: dict[str, Any], sort: str
) -> tuple[dict[int, Any], int]:
    """The scores of a page of stories' first matches (article id → score) and the number of
    stories, in one statement (a window count).

    By relevance, one GROUP BY: the bare ``rowid`` beside ``min(rank)`` is the row that holds
    the minimum (https://sqlite.org/lang_select.html#bare_columns_in_an_aggregate_query), the
    first in rowid order on a tie, as the window below would pick it; at 100,000 articles it
    costs half of what partitioning every match in a window does."""
    if sort == "relevance":
        firsts = f"""
            SELECT article_fts.rowid AS id, min(article_fts.rank) AS rank
            {from_} LEFT JOIN story_article AS sa ON sa.article_id = article_fts.rowid
            WHERE {where} GROUP BY coalesce(sa.story_id, -article_fts.rowid)
        """
        order = "rank, id"
        columns = "id, -rank AS score"
    else:
        firsts = _firsts_of_stories(where, sort, "1")
        order = _FIRST_IN_STORY[sort][1]
        columns = "id, score"
    ranked = _run(
        session,
        f"SELECT {columns}, count(*) OVER () FROM ({firsts}) "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset",
        page,
    ).fetchall()
    if ranked:
        return {row[0]: row[1] for row in ranked}, int(ranked[0][2])
    # past the last page: the window counted nothing
    return {}, _run(session, f"SELECT count(*) FROM ({firsts})", page).fetchone()[0]


def story_facets(
    session: Session,
    where: str,
    params: dict[str, Any],
    sort: str,
    facets: tuple[str, ...],
    size: int,
) -> dict[str, list[dict[str, Any]]]:
    """The facets over the stories' first matches (each story counted once, by its hit)."""
    if not facets:
        return {}
    columns = "a.source, substr(a.published, 1, 7) AS month, a.entity_ids"
    firsts = _firsts_of_stories(where, sort, columns)
    rows = _run(session, f"SELECT source, month, 1, entity_ids FROM ({firsts})", params)
    return facet_counts(session, rows.fetchall(), facets, size, all_ones=True)
