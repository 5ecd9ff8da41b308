"""Full-text search over articles, ranked by bm25 with highlighted snippets."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.params import SummaryRoute, problem_responses
from app.db import SessionDep
from app.models import SearchHit
from app.pagination import Page, PageDep
from app.search import rank_articles, validate_query

router = APIRouter(
    prefix="/search",
    tags=["search"],
    responses=problem_responses(400, 422, 503),
    route_class=SummaryRoute,
)

_Q_DESCRIPTION = (
    'Words to find in titles and bodies. Every word must match; `"double quotes"` keep a '
    "phrase together. Matching ignores case and diacritics and finds inflected forms (porter "
    "stemming): `trade` also finds `trading`. Operators and punctuation are searched as plain "
    "text, so any input is safe."
)


@router.get("", response_model=Page[SearchHit])
def search_articles(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str, Query(description=_Q_DESCRIPTION, examples=["trade restrictions"])],
) -> Page[SearchHit]:
    """Search articles by relevance (title matches weigh more than body matches)."""
    settings = request.app.state.settings
    expression = validate_query(q, settings.MAX_QUERY_LENGTH)
    rows, total = rank_articles(
        session,
        expression=expression,
        limit=page.limit,
        offset=page.offset,
        timeout_ms=settings.SEARCH_TIMEOUT_MS,
    )
    hits = [SearchHit.model_validate(row) for row in rows]
    return Page[SearchHit].build(request, page, hits, total)
