"""Story reads (issue 19): filtered lists of stories, one story with its sources and articles."""

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlmodel import Session, col

from app.db.models import Article
from app.db.stories import Story, StoryArticle
from app.engines.matching import article_text_matches
from app.queries import Order, fetch_page, read
from app.search.language import Node


class StorySort(StrEnum):
    size_desc = "-size"
    first_published_asc = "first_published"
    first_published_desc = "-first_published"


_FIRST = (col(Story.first_published), col(Story.id))
ORDERS: dict[StorySort, Order] = {
    StorySort.size_desc: Order((col(Story.size), col(Story.id)), descending=True),
    StorySort.first_published_asc: Order(_FIRST, first_nullable=True),
    StorySort.first_published_desc: Order(_FIRST, descending=True, first_nullable=True),
}

_COLUMNS: tuple[Any, ...] = (
    col(Story.id),
    col(Story.size),
    col(Story.source_count),
    col(Story.first_article_id),
    col(Story.first_published),
    col(Article.title).label("title"),
)


def stories_query(
    *,
    query: Node | None = None,
    source: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    min_size: int | None = None,
) -> Any:
    """Stories with the first article's title; ``query`` and ``source`` keep the stories with
    at least one article that matches, the dates bound the first publication."""
    statement = select(*_COLUMNS).join(Article, col(Article.id) == Story.first_article_id)
    if min_size is not None:
        statement = statement.where(col(Story.size) >= min_size)
    if published_from is not None:
        statement = statement.where(col(Story.first_published) >= published_from)
    if published_to is not None:
        statement = statement.where(col(Story.first_published) <= published_to)
    member = select(col(StoryArticle.article_id)).where(col(StoryArticle.story_id) == Story.id)
    if source is not None:
        with_source = select(col(Article.id)).where(col(Article.source) == source)
        statement = statement.where(
            exists(member.where(col(StoryArticle.article_id).in_(with_source)))
        )
    if query is not None:
        matching = select(col(Article.id)).where(article_text_matches(query))
        statement = statement.where(
            exists(member.where(col(StoryArticle.article_id).in_(matching)))
        )
    return statement


def list_stories(
    session: Session,
    *,
    sort: StorySort = StorySort.size_desc,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    **filters: Any,
) -> tuple[list[Any], int, str | None]:
    """One page of ``stories_query(**filters)``, the total and the next page's cursor."""
    return fetch_page(
        session,
        stories_query(**filters),
        order=ORDERS[sort],
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )


# the articles a story's own answer embeds; the rest page through its articles list
FIRST_ARTICLES = 100
MEMBER_ORDER = Order((col(Article.published), col(Article.id)), first_nullable=True)
_MEMBERS = select(
    col(Article.id),
    col(Article.title),
    col(Article.source),
    col(Article.published),
    col(Article.url),
).join(StoryArticle, col(StoryArticle.article_id) == Article.id)


def get_story(session: Session, *, story_id: int) -> dict[str, Any] | None:
    """One story with its distinct sources and its earliest ``FIRST_ARTICLES`` articles."""
    story = read(
        session,
        select(*_COLUMNS)
        .join(Article, col(Article.id) == Story.first_article_id)
        .where(col(Story.id) == story_id),
    ).first()
    if story is None:
        return None
    articles = read(
        session,
        _MEMBERS.where(col(StoryArticle.story_id) == story_id)
        .order_by(*MEMBER_ORDER.clauses())
        .limit(FIRST_ARTICLES),
    ).all()
    sources = read(
        session,
        select(col(Article.source))
        .join(StoryArticle, col(StoryArticle.article_id) == Article.id)
        .where(col(StoryArticle.story_id) == story_id, col(Article.source).is_not(None))
        .distinct()
        .order_by(col(Article.source)),
    ).scalars()
    return {
        **story._asdict(),
        "sources": list(sources),
        "articles": [a._asdict() for a in articles],
    }


def list_members(
    session: Session,
    *,
    story_id: int,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
) -> tuple[list[Any], int, str | None] | None:
    """One page of a story's articles, first published first, the total and the next cursor;
    None when there is no such story."""
    if read(session, select(col(Story.id)).where(col(Story.id) == story_id)).first() is None:
        return None
    return fetch_page(
        session,
        _MEMBERS.where(col(StoryArticle.story_id) == story_id),
        order=MEMBER_ORDER,
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )


# built once: every search page asks it for its hits
_STORIES_OF = (
    select(col(StoryArticle.article_id), col(Story.id), col(Story.size))
    .join(Story, col(Story.id) == StoryArticle.story_id)
    .where(col(StoryArticle.article_id).in_(bindparam("article_ids", expanding=True)))
)


def stories_of(session: Session, article_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each given article's story id and size (articles in no story are left out)."""
    if not article_ids:
        return {}
    rows = read(session, _STORIES_OF, {"article_ids": article_ids})
    return {int(a): (int(story), int(size)) for a, story, size in rows}
