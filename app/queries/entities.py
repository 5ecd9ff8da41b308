"""Entity reads: lists by type and name prefix, one entity, its articles and its quotes."""

from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from app.models import Entity
from app.queries import fetch_page


class EntitySort(StrEnum):
    mentions_desc = "-mentions"
    mentions_asc = "mentions"
    articles_desc = "-articles"
    name_asc = "name"
    name_desc = "-name"


_ORDER: dict[EntitySort, tuple[Any, ...]] = {
    EntitySort.mentions_desc: (col(Entity.mention_count).desc(), col(Entity.id)),
    EntitySort.mentions_asc: (col(Entity.mention_count), col(Entity.id)),
    EntitySort.articles_desc: (col(Entity.article_count).desc(), col(Entity.id)),
    EntitySort.name_asc: (col(Entity.name), col(Entity.id)),
    EntitySort.name_desc: (col(Entity.name).desc(), col(Entity.id).desc()),
}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entities_query(
    *,
    entity_type: str | None = None,
    name_prefix: str | None = None,
    sort: EntitySort = EntitySort.mentions_desc,
) -> Any:
    statement = select(Entity)
    if entity_type is not None:
        statement = statement.where(Entity.type == entity_type.upper())
    if name_prefix is not None:
        # SQLite's LIKE ignores ASCII case: https://sqlite.org/lang_expr.html#like
        pattern = _escape_like(name_prefix) + "%"
        statement = statement.where(col(Entity.name).like(pattern, escape="\\"))
    return statement.order_by(*_ORDER[sort])


def list_entities(
    session: Session, *, limit: int, offset: int, **filters: Any
) -> tuple[list[Entity], int]:
    """One page of ``entities_query(**filters)`` and the total."""
    return fetch_page(session, entities_query(**filters), limit=limit, offset=offset)


def get_entity(session: Session, *, entity_id: int) -> Entity | None:
    return session.get(Entity, entity_id)
