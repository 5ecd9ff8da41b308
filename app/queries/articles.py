"""Article reads: filtered lists, one article with its entities and quotes."""

import functools
import json
from collections.abc import Collection
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import String, bindparam, type_coerce
from sqlmodel import Session, col, select

from app.db.models import Article, ArticleEntity, Entity, Mention, Quote
from app.db.stories import Story, StoryArticle
from app.queries import Order, fetch_page, read, rows_of
from app.queries.quotes import of_kinds


class ArticleSort(StrEnum):
    published_asc = "published"
    published_desc = "-published"
    title_asc = "title"
    title_desc = "-title"
    id_asc = "id"
    id_desc = "-id"


_PUBLISHED = (col(Article.published), col(Article.id))
ORDERS: dict[ArticleSort, Order] = {
    ArticleSort.published_asc: Order(_PUBLISHED, first_nullable=True),
    ArticleSort.published_desc: Order(_PUBLISHED, descending=True, first_nullable=True),
    ArticleSort.title_asc: Order((col(Article.title), col(Article.id))),
    ArticleSort.title_desc: Order((col(Article.title), col(Article.id)), descending=True),
    ArticleSort.id_asc: Order((col(Article.id),)),
    ArticleSort.id_desc: Order((col(Article.id),), descending=True),
}


def with_story(statement: Any) -> Any:
    """An article statement with each article's ``story_id`` and ``story_size`` added."""
    return (
        statement.add_columns(
            col(StoryArticle.story_id).label("story_id"), col(Story.size).label("story_size")
        )
        .outerjoin(StoryArticle, col(StoryArticle.article_id) == Article.id)
        .outerjoin(Story, col(Story.id) == StoryArticle.story_id)
    )


def articles_query(
    *,
    source: str | None = None,
    author: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    entity_id: int | None = None,
) -> Any:
    """The filtered statement behind the article list and its exports."""
    statement = with_story(rows_of(Article))
    if source is not None:
        statement = statement.where(Article.source == source)
    if author is not None:
        statement = statement.where(Article.author == author)
    if published_from is not None:
        statement = statement.where(col(Article.published) >= published_from)
    if published_to is not None:
        statement = statement.where(col(Article.published) <= published_to)
    if entity_id is not None:
        mentioned = select(Mention.article_id).where(Mention.entity_id == entity_id)
        statement = statement.where(col(Article.id).in_(mentioned))
    return statement


def list_articles(
    session: Session,
    *,
    sort: ArticleSort = ArticleSort.published_desc,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    **filters: Any,
) -> tuple[list[Any], int, str | None]:
    """One page of ``articles_query(**filters)``, the total and the next page's cursor."""
    statement = articles_query(**filters)
    return fetch_page(
        session,
        statement,
        order=ORDERS[sort],
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )


# Built once with bound parameters: constructing a SELECT cost more than running it on the
# article page's three queries.
_ARTICLE = with_story(rows_of(Article)).where(Article.id == bindparam("article_id"))
_ENTITY_FIELDS = tuple(
    name for name in ArticleEntity.model_fields if name not in ("mentions", "story_count")
)
# an article's mentions, then their entities by id: two statements any planner gets right (one
# join: at a million articles PostgreSQL overestimated the mentions per article tenfold and
# hashed the whole entity table, 21 ms against 0.4)
_ENTITY_COLUMNS: list[Any] = [
    type_coerce(Entity.aliases, String) if name == "aliases" else getattr(Entity, name)
    for name in _ENTITY_FIELDS
]
_MENTIONS = (
    rows_of(Mention)
    .with_only_columns(
        Mention.article_id, Mention.entity_id, Mention.text, Mention.start, Mention.end
    )
    .order_by(col(Mention.start))
)
_MENTIONS_OF = _MENTIONS.where(
    col(Mention.article_id).in_(bindparam("article_ids", expanding=True))
)
# one article's: a plain parameter, which SQLAlchemy need not expand into the SQL per request
_MENTIONS_OF_ONE = _MENTIONS.where(col(Mention.article_id) == bindparam("article_id"))
_ENTITIES = select(*_ENTITY_COLUMNS).where(
    col(Entity.id).in_(bindparam("entity_ids", expanding=True))
)
# the body's quotes in text order, then the headline's ("body" sorts before "title")
_QUOTE_ORDER = Order((col(Quote.field), col(Quote.start), col(Quote.id)))
_QUOTES_OF = rows_of(Quote).where(Quote.article_id == bindparam("article_id"))


@functools.lru_cache(maxsize=64)
def _all_quotes_of(kinds: frozenset[str] | None) -> Any:
    """An article's quotes of these kinds in text order: built once per set of kinds (the
    article page asks for the speech kinds every time), not once per request."""
    statement = _QUOTES_OF if kinds is None else _QUOTES_OF.where(of_kinds(kinds))
    return statement.order_by(*_QUOTE_ORDER.clauses())


def _frozen(kinds: Collection[str] | None) -> frozenset[str] | None:
    return None if kinds is None else frozenset(kinds)


def get_article(session: Session, *, article_id: int) -> Any | None:
    """The article's row, or None."""
    return read(session, _ARTICLE, {"article_id": article_id}).first()


def article_entities(session: Session, *, article_id: int) -> list[dict[str, Any]]:
    """Entities mentioned in one article with their mentions, most mentioned first."""
    mentions = read(session, _MENTIONS_OF_ONE, {"article_id": article_id}).all()
    return _grouped_entities(session, mentions).get(article_id, [])


def entities_by_article(
    session: Session, *, article_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """``article_entities`` for several articles in two queries, as plain data in the shape of
    ``ArticleEntity`` (which validates it in one call, faster than building a model each)."""
    mentions = read(session, _MENTIONS_OF, {"article_ids": article_ids}).all()
    return _grouped_entities(session, mentions)


def _grouped_entities(session: Session, mentions: list[Any]) -> dict[int, list[dict[str, Any]]]:
    """The mentions (article id, entity id, text, start, end) grouped by article and entity,
    each entity with its fields read once."""
    wanted = sorted({row[1] for row in mentions})
    entities: dict[int, dict[str, Any]] = {}
    if wanted:
        for row in read(session, _ENTITIES, {"entity_ids": wanted}):
            entity = dict(zip(_ENTITY_FIELDS, row, strict=True))
            aliases = entity["aliases"]  # PostgreSQL's driver decodes JSON itself
            entity["aliases"] = json.loads(aliases) if isinstance(aliases, str) else aliases
            entities[entity["id"]] = entity
    grouped: dict[int, dict[int, dict[str, Any]]] = {}
    for article_id, entity_id, text, start, end in mentions:
        if entity_id not in entities:  # deleted between the two statements (PostgreSQL)
            continue
        found = grouped.setdefault(article_id, {})
        if entity_id not in found:
            found[entity_id] = {**entities[entity_id], "mentions": []}
        found[entity_id]["mentions"].append({"text": text, "start": start, "end": end})
    return {
        article_id: sorted(
            found.values(), key=lambda e: (-len(e["mentions"]), e["mentions"][0]["start"])
        )
        for article_id, found in grouped.items()
    }


def quotes_by_article(
    session: Session, *, article_ids: list[int], kinds: Collection[str] | None = None
) -> dict[int, list[Any]]:
    """The quotes of several articles (of ``kinds``, None for all) in body order, in one
    query."""
    grouped: dict[int, list[Any]] = {}
    statement = (
        rows_of(Quote)
        .where(col(Quote.article_id).in_(article_ids))
        .order_by(col(Quote.article_id), *_QUOTE_ORDER.clauses())
    )
    if kinds is not None:
        statement = statement.where(of_kinds(kinds))
    for quote in read(session, statement):
        grouped.setdefault(quote.article_id, []).append(quote)
    return grouped


def article_quotes(
    session: Session,
    *,
    article_id: int,
    limit: int | None = None,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    min_confidence: float | None = None,
    kinds: Collection[str] | None = None,
) -> tuple[list[Any], int, str | None]:
    """The quotes of one article (of ``kinds``, None for all) in body order: all of them, or
    one page."""
    if limit is None and min_confidence is None:
        items = list(read(session, _all_quotes_of(_frozen(kinds)), {"article_id": article_id}))
        return items, len(items), None
    statement = rows_of(Quote).where(Quote.article_id == article_id)
    if kinds is not None:
        statement = statement.where(of_kinds(kinds))
    if min_confidence is not None:
        statement = statement.where(col(Quote.confidence) >= min_confidence)
    if limit is None:
        items = list(read(session, statement.order_by(*_QUOTE_ORDER.clauses())))
        return items, len(items), None
    return fetch_page(
        session,
        statement,
        order=_QUOTE_ORDER,
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )
