"""Quote reads: filtered lists (including full-text search in quote text) and single quotes."""

from typing import Any

from sqlmodel import Session, col, func, select

from app.models import Article, Quote, QuoteHit
from app.queries import Order, fetch_page
from app.search import Highlight, quote_ids_matching, quote_snippets


def quotes_query(
    *,
    speaker_entity_id: int | None = None,
    speaker: str | None = None,
    article_id: int | None = None,
    kind: str | None = None,
    expression: str | None = None,
    min_confidence: float | None = None,
) -> Any:
    """Quotes with the title of their article. ``speaker`` matches the resolved or written
    speaker name, ignoring (ASCII) case."""
    statement = select(Quote, Article.title).join(Article, col(Article.id) == Quote.article_id)
    if speaker_entity_id is not None:
        statement = statement.where(Quote.speaker_entity_id == speaker_entity_id)
    if speaker is not None:
        # both sides through SQLite's lower(), so "Émile" still equals "Émile"
        wanted = func.lower(speaker)
        statement = statement.where(
            (func.lower(Quote.speaker) == wanted) | (func.lower(Quote.speaker_text) == wanted)
        )
    if article_id is not None:
        statement = statement.where(Quote.article_id == article_id)
    if kind is not None:
        statement = statement.where(Quote.kind == kind)
    if min_confidence is not None:
        statement = statement.where(col(Quote.confidence) >= min_confidence)
    if expression is not None:
        statement = statement.where(col(Quote.id).in_(quote_ids_matching(expression)))
    return statement


# body order within each article
ORDER = Order((col(Quote.article_id), col(Quote.start), col(Quote.id)))


def list_quotes(
    session: Session,
    *,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    **filters: Any,
) -> tuple[list[tuple[Quote, str]], int, str | None]:
    """One page of ``quotes_query(**filters)`` as (quote, article title) pairs, the total and
    the next page's cursor."""
    rows, total, following = fetch_page(
        session, quotes_query(**filters), order=ORDER, limit=limit, offset=offset, cursor=cursor
    )
    return [(quote, title) for quote, title in rows], total, following


def quote_hits(
    session: Session,
    rows: list[tuple[Quote, str]],
    *,
    expression: str | None = None,
    highlight: Highlight | None = None,
) -> list[QuoteHit]:
    """(quote, article title) rows as QuoteHits; with a search expression, their snippets come
    from one query for all the rows."""
    snippets: dict[int, str] = {}
    if expression is not None:
        snippets = quote_snippets(
            session,
            expression=expression,
            quote_ids=[quote.id for quote, _ in rows if quote.id is not None],
            highlight=highlight or Highlight(),
        )
    return [
        QuoteHit.model_validate(
            quote, update={"article_title": title, "snippet": snippets.get(quote.id or 0)}
        )
        for quote, title in rows
    ]


def get_quote(session: Session, *, quote_id: int) -> Quote | None:
    return session.get(Quote, quote_id)
