"""Quotation reads (issue 19): filtered lists of quotations, one quotation with its
occurrences."""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session, col

from app.db.folding import folded
from app.db.models import Article, Entity, Quote
from app.db.quotations import (
    Quotation,
    QuotationDetail,
    QuotationOccurrence,
    QuotationPublic,
)
from app.engines.matching import quote_text_matches
from app.queries import Order, fetch_page, read
from app.queries.quotes import current_id
from app.search.language import Node


class QuotationSort(StrEnum):
    occurrences_desc = "-occurrences"
    first_seen_asc = "first_seen"
    first_seen_desc = "-first_seen"


_FIRST = (col(Quotation.first_published), col(Quotation.id))
ORDERS: dict[QuotationSort, Order] = {
    QuotationSort.occurrences_desc: Order(
        (col(Quotation.occurrences), col(Quotation.id)), descending=True
    ),
    QuotationSort.first_seen_asc: Order(_FIRST, first_nullable=True),
    QuotationSort.first_seen_desc: Order(_FIRST, descending=True, first_nullable=True),
}

_OF_QUOTATION = col(Quote.quotation_id) == Quotation.id
_COLUMNS: tuple[Any, ...] = (
    col(Quotation.id),
    col(Quotation.text),
    col(Quotation.occurrences),
    col(Quotation.first_published),
    col(Quotation.first_article_id),
    col(Quotation.first_source),
    col(Quotation.speaker),
    col(Quotation.speaker_entity_id),
    col(Quotation.speaker_share),
    col(Quotation.contested),
    col(Quotation.source_count).label("sources"),
    col(Quotation.story_count).label("stories"),
)


def quotations_query(
    *,
    expression: Node | None = None,
    speaker: str | None = None,
    speaker_entity_id: int | None = None,
    source: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    min_occurrences: int | None = None,
    contested: bool | None = None,
) -> Any:
    """Quotations with their counts. ``speaker`` is the name of the quotation's speaker
    (ignoring case and accents), ``source`` an outlet that quoted it, ``expression`` a query
    that one of its occurrences matches; the dates bound the first occurrence."""
    statement = select(*_COLUMNS)
    if expression is not None:
        matching = select(col(Quote.quotation_id)).where(quote_text_matches(expression))
        statement = statement.where(col(Quotation.id).in_(matching))
    if speaker is not None:
        named = select(col(Entity.id)).where(col(Entity.name_key) == folded(speaker))
        statement = statement.where(col(Quotation.speaker_entity_id).in_(named))
    if speaker_entity_id is not None:
        statement = statement.where(
            col(Quotation.speaker_entity_id) == current_id(speaker_entity_id)
        )
    if source is not None:
        quoted_there = (
            select(col(Quote.id))
            .join(Article, col(Article.id) == Quote.article_id)
            .where(_OF_QUOTATION, col(Article.source) == source)
        )
        statement = statement.where(exists(quoted_there))
    if published_from is not None:
        statement = statement.where(col(Quotation.first_published) >= published_from)
    if published_to is not None:
        statement = statement.where(col(Quotation.first_published) <= published_to)
    if min_occurrences is not None:
        statement = statement.where(col(Quotation.occurrences) >= min_occurrences)
    if contested is not None:
        statement = statement.where(col(Quotation.contested) == contested)
    return statement


def list_quotations(
    session: Session,
    *,
    sort: QuotationSort = QuotationSort.occurrences_desc,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    **filters: Any,
) -> tuple[list[QuotationPublic], int, str | None]:
    """One page of ``quotations_query(**filters)``, the total and the next page's cursor."""
    rows, total, following = fetch_page(
        session,
        quotations_query(**filters),
        order=ORDERS[sort],
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )
    return public(rows), total, following


def public(rows: Iterable[Any]) -> list[QuotationPublic]:
    """Quotation rows as the list shows them (``first_seen`` nested)."""
    return [QuotationPublic.model_validate(_shaped(row)) for row in rows]


def _shaped(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row._asdict()
    data["first_seen"] = {
        "published": data.pop("first_published"),
        "article_id": data.pop("first_article_id"),
        "source": data.pop("first_source"),
    }
    return data


# the occurrences a quotation's own answer embeds; the rest page through its occurrences list
FIRST_OCCURRENCES = 100
OCCURRENCE_ORDER = Order(
    (col(Article.published), col(Quote.article_id), col(Quote.id)), first_nullable=True
)
_OCCURRENCES = select(
    col(Quote.id),
    col(Quote.article_id),
    col(Article.title),
    col(Article.source),
    col(Article.published),
    col(Quote.speaker),
    col(Quote.confidence),
).join(Article, col(Article.id) == Quote.article_id)


def get_quotation(session: Session, *, quotation_id: int) -> QuotationDetail | None:
    """One quotation with its earliest ``FIRST_OCCURRENCES`` occurrences (undated last)."""
    row = read(session, select(*_COLUMNS).where(col(Quotation.id) == quotation_id)).first()
    if row is None:
        return None
    data = _shaped(row)
    first = read(
        session,
        _OCCURRENCES.where(col(Quote.quotation_id) == quotation_id)
        .order_by(*OCCURRENCE_ORDER.clauses())
        .limit(FIRST_OCCURRENCES),
    )
    data["occurrence_count"] = data.pop("occurrences")
    data["occurrences"] = _occurrences(first)
    return QuotationDetail.model_validate(data)


def list_occurrences(
    session: Session,
    *,
    quotation_id: int,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
) -> tuple[list[QuotationOccurrence], int, str | None] | None:
    """One page of a quotation's occurrences, earliest first, the total and the next cursor;
    None when there is no such quotation."""
    exists_ = read(session, select(col(Quotation.id)).where(col(Quotation.id) == quotation_id))
    if exists_.first() is None:
        return None
    rows, total, following = fetch_page(
        session,
        _OCCURRENCES.where(col(Quote.quotation_id) == quotation_id),
        order=OCCURRENCE_ORDER,
        limit=limit,
        offset=offset,
        cursor=cursor,
        count_up_to=count_up_to,
    )
    return [QuotationOccurrence.model_validate(o) for o in _occurrences(rows)], total, following


def _occurrences(rows: Iterable[Any]) -> list[dict[str, Any]]:
    shaped = []
    for row in rows:
        data = row._asdict()
        data["quote_id"] = data.pop("id")
        shaped.append(data)
    return shaped
