"""Entity reads: lists by type and name prefix, one entity, its articles and its quotes."""

import math
from enum import StrEnum
from typing import Any

from sqlalchemy import false
from sqlmodel import Session, col, func, select

from app.engines import folded, year_month
from app.models import Article, Entity, Mention
from app.queries import Order, fetch_page, rows_of
from app.search import entity_ids_by_name_prefix


class EntitySort(StrEnum):
    mentions_desc = "-mentions"
    mentions_asc = "mentions"
    articles_desc = "-articles"
    name_asc = "name"
    name_desc = "-name"


_MENTIONS = (col(Entity.mention_count), col(Entity.id))
ORDERS: dict[EntitySort, Order] = {
    EntitySort.mentions_desc: Order(_MENTIONS, descending=True),
    EntitySort.mentions_asc: Order(_MENTIONS),
    EntitySort.articles_desc: Order((col(Entity.article_count), col(Entity.id)), descending=True),
    EntitySort.name_asc: Order((col(Entity.name), col(Entity.id))),
    EntitySort.name_desc: Order((col(Entity.name), col(Entity.id)), descending=True),
}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entities_query(
    *,
    entity_type: str | None = None,
    name_prefix: str | None = None,
    name_query: str | None = None,
) -> Any:
    statement = rows_of(Entity)
    if entity_type is not None:
        statement = statement.where(Entity.type == entity_type.upper())
    if name_prefix is not None:
        # the stored folded name against the folded prefix, escaped after folding (folding
        # turns a full-width ％ into a wildcard)
        pattern = _escape_like(folded(name_prefix) or "") + "%"
        statement = statement.where(col(Entity.name_key).like(pattern, escape="\\"))
    if name_query is not None:
        matching = entity_ids_by_name_prefix(name_query)
        statement = statement.where(matching if matching is not None else false())
    return statement


def list_entities(
    session: Session,
    *,
    sort: EntitySort = EntitySort.mentions_desc,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    **filters: Any,
) -> tuple[list[Any], int, str | None]:
    """One page of ``entities_query(**filters)``, the total and the next page's cursor."""
    statement = entities_query(**filters)
    return fetch_page(
        session, statement, order=ORDERS[sort], limit=limit, offset=offset, cursor=cursor
    )


def get_entity(session: Session, *, entity_id: int) -> Entity | None:
    return session.get(Entity, entity_id)


def cooccurring(session: Session, *, entity_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Entities mentioned in the same articles, by shared articles, with their pointwise mutual
    information over articles: log(N·both / (articles_a · articles_b))."""
    entity = session.get(Entity, entity_id)
    if entity is None or not entity.article_count:
        return []
    total = session.exec(select(func.count()).select_from(Article)).one()
    mine = select(Mention.article_id).where(Mention.entity_id == entity_id).distinct()
    shared = func.count(func.distinct(Mention.article_id))
    rows = session.exec(
        select(Entity, shared.label("shared"))
        .join(Mention, col(Mention.entity_id) == Entity.id)
        .where(col(Mention.article_id).in_(mine), Entity.id != entity_id)
        .group_by(col(Entity.id))
        .order_by(shared.desc(), col(Entity.id))
        .limit(limit)
    ).all()
    return [
        {
            "id": other.id,
            "name": other.name,
            "type": other.type,
            "articles": count,
            "pmi": round(math.log(total * count / (entity.article_count * other.article_count)), 4),
        }
        for other, count in rows
    ]


def timeline(session: Session, *, entity_id: int) -> list[dict[str, Any]]:
    """Mentions and articles per month of publication (undated articles are left out)."""
    month = year_month(col(Article.published))
    rows = session.exec(
        select(month.label("month"), func.count(), func.count(func.distinct(Article.id)))
        .join(Mention, col(Mention.article_id) == Article.id)
        .where(Mention.entity_id == entity_id, col(Article.published).is_not(None))
        .group_by(month)
        .order_by(month)
    ).all()
    return [
        {"month": m, "mentions": mentions, "articles": articles} for m, mentions, articles in rows
    ]
