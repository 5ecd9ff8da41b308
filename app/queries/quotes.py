"""Quote reads: filtered lists (including full-text search in quote text) and single quotes."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, true
from sqlmodel import Session, col, select

from app.db.folding import folded
from app.db.models import ALL_KINDS, Article, Entity, Quote, QuoteHit
from app.engines.matching import quote_text_matches
from app.queries import Order, fetch_page, read, rows_of
from app.search import Highlight, quote_snippets
from app.search.language import Node


def quotes_query(
    *,
    speaker_entity_id: int | None = None,
    speaker: str | None = None,
    article_id: int | None = None,
    kinds: Collection[str] | None = None,
    expression: Node | None = None,
    min_confidence: float | None = None,
) -> Any:
    """Quotes with the title of their article. ``speaker`` matches the resolved or written
    speaker name, ignoring case, accents and repeated spaces."""
    # a subquery rather than a join: counting the matches never touches the article table
    title = select(Article.title).where(Article.id == Quote.article_id).scalar_subquery()
    statement = rows_of(Quote).add_columns(title.label("article_title"))
    if speaker_entity_id is not None:
        statement = statement.where(Quote.speaker_entity_id == current_id(speaker_entity_id))
    if speaker is not None:
        statement = statement.where(or_(*speaker_named(speaker)))
    if article_id is not None:
        statement = statement.where(Quote.article_id == article_id)
    if kinds is not None:
        statement = statement.where(of_kinds(kinds))
    if min_confidence is not None:
        statement = statement.where(col(Quote.confidence) >= min_confidence)
    if expression is not None:
        statement = statement.where(quote_text_matches(expression))
    return statement


def speaker_named(speaker: str) -> tuple[Any, Any]:
    """A quote's resolved or written speaker is this name: the stored folded names, each
    with its index in the list's order."""
    wanted = folded(speaker)
    return col(Quote.speaker_key) == wanted, col(Quote.speaker_text_key) == wanted


def current_id(entity_id: int) -> Any:
    """An entity id as the quotes carry it: the entity it was merged into, if it was
    (``app.corpus.people`` moves a merged entity's quotes to the one it joined)."""
    return (
        select(func.coalesce(col(Entity.merged_into), col(Entity.id)))
        .where(col(Entity.id) == entity_id)
        .scalar_subquery()
    )


def of_kinds(kinds: Collection[str]) -> Any:
    """The condition for quotes of these kinds, written with the shorter list (the default,
    every kind but stances, is ``kind NOT IN ('stance')``)."""
    others = ALL_KINDS - set(kinds)
    if not others:
        return true()
    if len(others) < len(kinds):
        return col(Quote.kind).not_in(sorted(others))
    return col(Quote.kind).in_(sorted(kinds))


# text order within each article: the body's quotes, then the headline's ("body" < "title")
ORDER = Order((col(Quote.article_id), col(Quote.field), col(Quote.start), col(Quote.id)))


def list_quotes(
    session: Session,
    *,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    speaker: str | None = None,
    **filters: Any,
) -> tuple[list[Any], int, str | None]:
    """One page of ``quotes_query(**filters)`` (quote rows with their ``article_title``), the
    total (``fetch_page``) and the next page's cursor."""
    return fetch_page(
        session,
        quotes_query(**filters),
        order=ORDER,
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
        any_of=speaker_named(speaker) if speaker is not None else (),
    )


def quote_hits(
    session: Session,
    rows: list[Any],
    *,
    expression: Node | None = None,
    highlight: Highlight | None = None,
) -> list[QuoteHit]:
    """Quote rows (with their ``article_title``) as QuoteHits; with a search expression, their
    snippets come from one query for all the rows."""
    snippets: dict[int, str] = {}
    if expression is not None:
        snippets = quote_snippets(
            session,
            expression=expression,
            quote_ids=[row.id for row in rows],
            highlight=highlight or Highlight(),
        )
    return [
        QuoteHit.model_validate({**row._asdict(), "snippet": snippets.get(row.id)}) for row in rows
    ]


def get_quote(session: Session, *, quote_id: int) -> Any | None:
    """The quote's row, or None."""
    return read(session, rows_of(Quote).where(Quote.id == quote_id)).first()
