"""Quotation endpoints (issue 19): the same words across articles, listed (or exported) and one
by one with every occurrence."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.api.export import EXPORT_RESPONSES, ExportFormat, FormatDep, export
from app.api.params import MAX_ID, IsoDate, QuotationId, SummaryRoute, problem_responses
from app.db.pagination import Page, PageDep
from app.db.quotations import QuotationDetail, QuotationOccurrence, QuotationPublic
from app.db.session import SessionDep
from app.errors import NotFound
from app.queries import quotations as queries
from app.queries import stream
from app.queries.quotations import QuotationSort
from app.search import time_limit, validate_query

router = APIRouter(
    prefix="/quotations",
    tags=["quotations"],
    responses=problem_responses(422),
    route_class=SummaryRoute,
)


@router.get(
    "",
    response_model=Page[QuotationPublic],
    responses={**problem_responses(400, 503), **EXPORT_RESPONSES},
)
def list_quotations(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(
            description="Only quotations whose words match this query (the language of "
            "`/search`, without `title:` and `body:`).",
            examples=["win-win"],
        ),
    ] = None,
    speaker: Annotated[
        str | None,
        Query(
            description="Only quotations whose speaker has this name, ignoring case and accents.",
            examples=["Ren Zhengfei"],
        ),
    ] = None,
    speaker_entity_id: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="Only quotations whose speaker is this entity.",
            examples=[2],
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(description="Only quotations this source quoted (exact).", examples=["Wikinews"]),
    ] = None,
    published_from: Annotated[
        IsoDate | None,
        Query(description="First seen on or after this date.", examples=["2020-01-01"]),
    ] = None,
    published_to: Annotated[
        IsoDate | None,
        Query(description="First seen on or before this date.", examples=["2020-12-31"]),
    ] = None,
    min_occurrences: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_ID, description="Only quotations quoted at least this often.", examples=[2]
        ),
    ] = None,
    contested: Annotated[
        bool | None,
        Query(
            description="Only quotations whose speaker is (or is not) contested.", examples=[True]
        ),
    ] = None,
    sort: Annotated[
        QuotationSort,
        Query(description="`-occurrences` (most quoted first), `first_seen` or `-first_seen`."),
    ] = QuotationSort.occurrences_desc,
    fmt: FormatDep = ExportFormat.json,
) -> Page[QuotationPublic] | StreamingResponse:
    """List quotations (the same words across articles), most quoted first, or export them."""
    settings = request.app.state.settings
    filters: dict[str, Any] = {
        "expression": validate_query(q, settings.MAX_QUERY_LENGTH, fields=()) if q else None,
        "speaker": speaker,
        "speaker_entity_id": speaker_entity_id,
        "source": source,
        "published_from": published_from,
        "published_to": published_to,
        "min_occurrences": min_occurrences,
        "contested": contested,
    }
    if fmt is not ExportFormat.json:
        statement = queries.quotations_query(**filters)

        def rows(export_session: Session) -> Iterator[QuotationPublic]:
            for row in stream(export_session, statement, queries.ORDERS[sort]):
                yield from queries.public([row])

        return export(request, fmt, QuotationPublic, rows, "quotations")
    with time_limit(session, settings.SEARCH_TIMEOUT_MS):
        items, total, following = queries.list_quotations(
            session,
            sort=sort,
            **page.window(),
            **filters,
        )
    return Page[QuotationPublic].build(request, page, items, total, following)


@router.get("/{quotation_id}", response_model=QuotationDetail, responses=problem_responses(404))
def get_quotation(session: SessionDep, quotation_id: QuotationId) -> QuotationDetail:
    """Get one quotation with its earliest 100 occurrences."""
    quotation = queries.get_quotation(session, quotation_id=quotation_id)
    if quotation is None:
        raise NotFound(f"No quotation with id {quotation_id}.")
    return quotation


@router.get(
    "/{quotation_id}/occurrences",
    response_model=Page[QuotationOccurrence],
    responses=problem_responses(400, 404),
)
def list_occurrences(
    request: Request, session: SessionDep, page: PageDep, quotation_id: QuotationId
) -> Page[QuotationOccurrence]:
    """List every occurrence of one quotation, earliest first (undated last)."""
    found = queries.list_occurrences(
        session,
        quotation_id=quotation_id,
        **page.window(),
    )
    if found is None:
        raise NotFound(f"No quotation with id {quotation_id}.")
    items, total, following = found
    return Page[QuotationOccurrence].build(request, page, items, total, following)
