"""Story endpoints (issue 19): stories of near-duplicate articles, listed and one by one."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.params import MAX_ID, IsoDate, StoryId, SummaryRoute, problem_responses
from app.db.pagination import Page, PageDep
from app.db.session import SessionDep
from app.db.stories import StoryDetail, StoryMember, StoryPublic
from app.errors import NotFound
from app.queries import stories as queries
from app.queries.stories import StorySort
from app.search import time_limit, validate_query

router = APIRouter(
    prefix="/stories", tags=["stories"], responses=problem_responses(422), route_class=SummaryRoute
)


@router.get("", response_model=Page[StoryPublic], responses=problem_responses(400, 503))
def list_stories(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(
            description="Only stories with an article matching this query (the language of "
            "`/search`).",
            examples=["election"],
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(description="Only stories that this source ran (exact).", examples=["Wikinews"]),
    ] = None,
    published_from: Annotated[
        IsoDate | None,
        Query(description="First published on or after this date.", examples=["2020-01-01"]),
    ] = None,
    published_to: Annotated[
        IsoDate | None,
        Query(description="First published on or before this date.", examples=["2020-12-31"]),
    ] = None,
    min_size: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="Only stories of at least this many articles.",
            examples=[2],
        ),
    ] = None,
    sort: Annotated[
        StorySort,
        Query(description="`-size` (largest first), `first_published` or `-first_published`."),
    ] = StorySort.size_desc,
) -> Page[StoryPublic]:
    """List stories (groups of near-duplicate articles), largest first."""
    settings = request.app.state.settings
    expression = validate_query(q, settings.MAX_QUERY_LENGTH) if q is not None else None
    with time_limit(session, settings.SEARCH_TIMEOUT_MS):
        items, total, following = queries.list_stories(
            session,
            sort=sort,
            **page.window(),
            query=expression,
            source=source,
            published_from=published_from,
            published_to=published_to,
            min_size=min_size,
        )
    stories = [StoryPublic.model_validate(item) for item in items]
    return Page[StoryPublic].build(request, page, stories, total, following)


@router.get("/{story_id}", response_model=StoryDetail, responses=problem_responses(404))
def get_story(session: SessionDep, story_id: StoryId) -> StoryDetail:
    """Get one story: its first publication, size, sources and earliest 100 articles."""
    story = queries.get_story(session, story_id=story_id)
    if story is None:
        raise NotFound(f"No story with id {story_id}.")
    return StoryDetail.model_validate(story)


@router.get(
    "/{story_id}/articles",
    response_model=Page[StoryMember],
    responses=problem_responses(400, 404),
)
def list_story_articles(
    request: Request, session: SessionDep, page: PageDep, story_id: StoryId
) -> Page[StoryMember]:
    """List every article of one story, first published first (undated last)."""
    found = queries.list_members(session, story_id=story_id, **page.window())
    if found is None:
        raise NotFound(f"No story with id {story_id}.")
    rows, total, following = found
    items = [StoryMember.model_validate(row._asdict()) for row in rows]
    return Page[StoryMember].build(request, page, items, total, following)
