"""The PostgreSQL engine's searches collapsed by story (``collapse=story``): each story's
first match, a page of stories and their facets; entered from ``postgres.rank_articles``."""

from typing import Any

from sqlmodel import Session

from app.engines.facets import facet_counts
from app.engines.postgres import _FROM, _GROUPS, _MONTH, _ORDER_BY, _PACKED, _rows, _score


def _firsts_of_stories(where: str, sort: str, columns: str) -> str:
    """Each story's first match in ``sort`` order (the best ranked one by relevance, its
    tsvector read from ``article_vector``), as ``id, score, published`` and ``columns``;
    articles in no story count as their own."""
    vectors = "JOIN article_vector AS s ON s.article_id = a.id " if sort == "relevance" else ""
    return (
        f"SELECT DISTINCT ON (coalesce(sa.story_id, -a.id)) a.id, {_score(sort, 's')}, "
        f"a.published, {columns} {_FROM} {vectors}"
        "LEFT JOIN story_article AS sa ON sa.article_id = a.id "
        f"WHERE {where} ORDER BY coalesce(sa.story_id, -a.id), {_ORDER_BY[sort]}"
    )


def story_page(
    session: Session, where: str, page: dict[str, Any], sort: str
) -> tuple[dict[int, Any], int]:
    """The scores of a page of stories' first matches in date order (article id → score) and
    the number of stories, in one statement (a window count)."""
    firsts = _firsts_of_stories(where, sort, "1 AS one")
    return story_rows(
        session,
        f"SELECT id, score, count(*) OVER () AS total FROM ({firsts}) AS f "
        f"ORDER BY {_ORDER_BY[sort].replace('a.', '')} LIMIT :limit OFFSET :offset",
        page,
    )


def story_rows(session: Session, sql: str, page: dict[str, Any]) -> tuple[dict[int, Any], int]:
    """A page of stories (``id, score, total`` rows) as article id → score, and the number of
    stories: past the last page the window counted nothing, so the statement counts again."""
    ranked = _rows(session, sql, page).all()
    if ranked:
        return {row.id: row.score for row in ranked}, int(ranked[0].total)
    everything = {**page, "limit": None, "offset": 0}  # LIMIT NULL: no limit
    return {}, _rows(session, f"SELECT count(*) FROM ({sql}) AS c", everything).scalar_one()


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
    columns = f"a.source, {_MONTH} AS month, {_PACKED['entity' in facets]} AS entity_ids"
    matches = f"({_firsts_of_stories(where, sort, columns)}) AS m"
    groups = list(_rows(session, _GROUPS.format(matches=matches), params).all())
    return facet_counts(session, groups, facets, size)
