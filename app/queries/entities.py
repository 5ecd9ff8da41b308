"""Entity reads: lists by type and name prefix, one entity, its articles and its quotes."""

import math
from collections import Counter
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import distinct, false
from sqlmodel import Session, col, func, select

from app.db.folding import folded
from app.db.models import Article, Entity, Mention, count_packed_ids, pack_ids
from app.db.stories import Story, StoryArticle
from app.engines.matching import entity_name_matches
from app.queries import Order, fetch_page, rows_of
from app.queries.stories import stories_of
from app.search import entity_articles
from app.search.language import words_of


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
    # an entity merged into another (app.corpus.people) is listed as that one
    statement = rows_of(Entity).where(col(Entity.merged_into).is_(None))
    if entity_type is not None:
        statement = statement.where(Entity.type == entity_type.upper())
    if name_prefix is not None:
        # the stored folded name against the folded prefix, escaped after folding (folding
        # turns a full-width ％ into a wildcard)
        pattern = _escape_like(folded(name_prefix) or "") + "%"
        statement = statement.where(col(Entity.name_key).like(pattern, escape="\\"))
    if name_query is not None:
        # names whose words start with each word of the query ("ren zh" finds Ren Zhengfei)
        words = words_of(name_query)
        statement = statement.where(entity_name_matches(words) if words else false())
    return statement


def _stories_of(entity: Any) -> Any:
    """How many stories the articles mentioning ``entity`` (an id or a column) are in."""
    return (
        select(func.count(distinct(col(StoryArticle.story_id))))
        .select_from(Mention)
        .join(StoryArticle, col(StoryArticle.article_id) == Mention.article_id)
        .where(col(Mention.entity_id) == entity)
    )


def with_story_count(statement: Any) -> Any:
    """An entity statement with each entity's ``story_count`` (counted row by row: for exports,
    not for counting a list's total)."""
    return statement.add_columns(_stories_of(Entity.id).scalar_subquery().label("story_count"))


def story_counts(session: Session, *, entity_ids: list[int]) -> dict[int, int]:
    """``story_count`` of several entities in one query (issue 19)."""
    rows = session.execute(
        select(col(Mention.entity_id), func.count(distinct(col(StoryArticle.story_id))))
        .join(StoryArticle, col(StoryArticle.article_id) == Mention.article_id)
        .where(col(Mention.entity_id).in_(entity_ids))
        .group_by(col(Mention.entity_id))
    )
    return {int(row[0]): int(row[1]) for row in rows}


def list_entities(
    session: Session,
    *,
    sort: EntitySort = EntitySort.mentions_desc,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    **filters: Any,
) -> tuple[list[Any], int, str | None]:
    """One page of ``entities_query(**filters)``, the total and the next page's cursor."""
    statement = entities_query(**filters)
    return fetch_page(
        session,
        statement,
        order=ORDERS[sort],
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )


def get_entity(session: Session, *, entity_id: int) -> Entity | None:
    """The entity, or the one it was merged into (followed to the end; ``merged_into`` on the
    answer's way tells the caller it was redirected)."""
    entity = session.get(Entity, entity_id)
    seen = {entity_id}
    while entity is not None and entity.merged_into is not None and entity.merged_into not in seen:
        seen.add(entity.merged_into)
        entity = session.get(Entity, entity.merged_into)
    return entity


def merged_count(session: Session) -> int:
    """How many stored entities were merged into another (not counted as entities)."""
    return session.exec(
        select(func.count()).select_from(Entity).where(col(Entity.merged_into).is_not(None))
    ).one()


def profile(
    session: Session, *, entity: Entity, related: int = 20, by_story: bool = False
) -> dict[str, Any]:
    """An entity's ``related`` entities and its monthly ``timeline``, from one pass over the
    articles that mention it.

    Related: the entities mentioned in most of the same articles (``by_story``: the same
    stories, so that twelve copies of a wire story count once), with their pointwise mutual
    information over that unit, log(N·both / (n_a · n_b)); counted with numpy over the
    articles' packed entity ids, as the entity facet is, rather than by joining every mention
    of those articles. Timeline: mentions and articles per month of publication (undated
    articles are left out)."""
    assert entity.id is not None  # a stored entity
    rows = entity_articles(session, entity_id=entity.id)
    mentions: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    for _, month, count, _ in rows:
        if month is not None:
            mentions[month] += count
            articles[month] += 1
    packed = [ids for *_, ids in rows]
    stories = _by_story(session, rows) if by_story else None
    return {
        "related": _related(session, entity.id, packed, stories, related),
        "timeline": [
            {"month": month, "mentions": mentions[month], "articles": articles[month]}
            for month in sorted(mentions)
        ],
    }


def _by_story(session: Session, rows: list[tuple[int, str | None, int, bytes]]) -> list[bytes]:
    """The packed entity ids of each story among the articles (each id once per story: the
    union over its articles; an article in no story stands alone)."""
    story_of = stories_of(session, [article_id for article_id, *_ in rows])
    grouped: dict[int, list[bytes]] = {}
    for article_id, _, _, ids in rows:
        story = story_of[article_id][0] if article_id in story_of else -article_id
        grouped.setdefault(story, []).append(ids)
    return [
        ids[0] if len(ids) == 1 else pack_ids(np.frombuffer(b"".join(ids), dtype="<i8").tolist())
        for ids in grouped.values()
    ]


def _related(
    session: Session,
    entity_id: int,
    packed: list[bytes],
    stories: list[bytes] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The related entities, ranked by the articles (or with ``stories``, the stories) they
    share with the entity."""
    shared_articles = count_packed_ids(packed)
    shared = shared_articles if stories is None else count_packed_ids(stories)
    if entity_id < shared.size:
        shared[entity_id] = 0
    others = np.flatnonzero(shared)
    ranked = [int(i) for i in others[np.lexsort((others, -shared[others]))]]
    found: list[Entity] = []
    # normally one round; another only if an entity was deleted since its articles were packed
    for start in range(0, len(ranked), limit):
        chunk = ranked[start : start + limit]
        rows = {e.id: e for e in session.exec(select(Entity).where(col(Entity.id).in_(chunk)))}
        found += [rows[i] for i in chunk if i in rows]
        if len(found) >= limit:
            break
    if not found:
        return []
    found = found[:limit]
    if stories is None:
        total = session.exec(select(func.count()).select_from(Article)).one()
        counts = {e.id: e.article_count for e in found if e.id is not None}
        mine = len(packed)  # the stored counts may lag behind; an entity is in no fewer
    else:
        total = session.exec(select(func.count()).select_from(Story)).one()
        counts = story_counts(session, entity_ids=[e.id for e in found if e.id is not None])
        mine = len(stories)
    related = []
    for other in found:
        assert other.id is not None  # a stored entity
        both = int(shared[other.id])
        pmi = math.log(max(total, 1) * both / (mine * max(counts.get(other.id, 0), both)))
        related.append(
            {
                "id": other.id,
                "name": other.name,
                "type": other.type,
                "articles": int(shared_articles[other.id]),
                "stories": None if stories is None else both,
                "pmi": round(pmi, 4),
            }
        )
    return related
