"""Quote endpoints: list with filters and full-text search, one quote."""

from collections.abc import Iterator
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.api.export import EXPORT_RESPONSES, ExportFormat, FormatDep, export
from app.api.params import (
    MAX_ID,
    HighlightDep,
    KindsDep,
    MinConfidence,
    QuoteId,
    SummaryRoute,
    problem_responses,
)
from app.db.models import QuoteHit, QuotePublic
from app.db.pagination import Page, PageDep
from app.db.session import SessionDep
from app.errors import NotFound
from app.queries import quotes as queries
from app.queries import stream
from app.search import time_limit, validate_query

_EXPORT_CHUNK = 500

router = APIRouter(
    prefix="/quotes", tags=["quotes"], responses=problem_responses(422), route_class=SummaryRoute
)


@router.get(
    "", response_model=Page[QuoteHit], responses={**problem_responses(400, 503), **EXPORT_RESPONSES}
)
def list_quotes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    highlight: HighlightDep,
    kinds: KindsDep,
    speaker_entity_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only quotes by this speaker entity.")
    ] = None,
    speaker: Annotated[
        str | None,
        Query(
            description="Only quotes whose resolved or written speaker is this name, ignoring "
            "case, accents and repeated spaces.",
            examples=["Ren Zhengfei"],
        ),
    ] = None,
    article_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only quotes in this article.")
    ] = None,
    min_confidence: MinConfidence = None,
    q: Annotated[
        str | None,
        Query(
            description="Search in the quote text, in the query language of `/search` "
            "(without `title:` and `body:`).",
            examples=["trade OR tariff"],
        ),
    ] = None,
    fmt: FormatDep = ExportFormat.json,
) -> Page[QuoteHit] | StreamingResponse:
    """List quotes, optionally searched and filtered by speaker, or export them all.

    Speech by default: the kinds `direct`, `block`, `partial`, `mixed` and `indirect`; stances
    with `kind=stance`, every kind with `kind=all`. Exports list the same rows."""
    settings = request.app.state.settings
    expression = validate_query(q, settings.MAX_QUERY_LENGTH, fields=()) if q is not None else None
    filters: dict[str, Any] = {
        "speaker_entity_id": speaker_entity_id,
        "speaker": speaker,
        "article_id": article_id,
        "kinds": kinds,
        "expression": expression,
        "min_confidence": min_confidence,
    }
    if fmt is not ExportFormat.json:
        statement = queries.quotes_query(**filters)

        def export_rows(export_session: Session) -> Iterator[QuoteHit]:
            rows = stream(export_session, statement, queries.ORDER)
            # snippets by the chunk, not one query per quote
            while chunk := list(islice(rows, _EXPORT_CHUNK)):
                yield from queries.quote_hits(
                    export_session, chunk, expression=expression, highlight=highlight
                )

        return export(request, fmt, QuoteHit, export_rows, "quotes")
    with time_limit(session, settings.SEARCH_TIMEOUT_MS):
        items, total, following = queries.list_quotes(session, **page.window(), **filters)
        hits = queries.quote_hits(session, items, expression=expression, highlight=highlight)
    return Page[QuoteHit].build(request, page, hits, total, following)


@router.get("/{quote_id}", response_model=QuotePublic, responses=problem_responses(404))
def get_quote(session: SessionDep, quote_id: QuoteId) -> QuotePublic:
    """Get one quote."""
    quote = queries.get_quote(session, quote_id=quote_id)
    if quote is None:
        raise NotFound(f"No quote with id {quote_id}.")
    return QuotePublic.model_validate(quote)
