"""Full-text search over articles: the query language, filters, sorting, facets, snippets."""

import time
from collections.abc import Iterable, Iterator
from enum import StrEnum
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlmodel import Session

from app.api.export import EXPORT_RESPONSES, ExportFormat, FormatDep, export
from app.api.params import MAX_ID, HighlightDep, IsoDate, SummaryRoute, problem_responses
from app.db.models import FacetCount, SearchHit
from app.db.pagination import TOTAL_COUNTED_UP_TO, OffsetPageDep, Page
from app.db.session import SessionDep
from app.engines import engine_name
from app.metrics import SEARCH_TIME
from app.queries.stories import stories_of
from app.search import ArticleFilters, iter_hits, rank_articles, sampled_facets, validate_query

router = APIRouter(
    prefix="/search",
    tags=["search"],
    responses=problem_responses(400, 422, 503),
    route_class=SummaryRoute,
)

Q_DESCRIPTION = """Search query. Every word must match (stemmed, case and accent insensitive:
`trade` finds `Trading`, `cafe` finds `café`).

| syntax | meaning |
| --- | --- |
| `"exact phrase"` | words next to each other |
| `a OR b` | either |
| `-word`, `NOT word` | exclude |
| `pre*` | prefix |
| `NEAR(a b, 5)`, `"a b"~5` | at most 5 words apart |
| `( … )` | grouping |
| `title:word`, `body:"a phrase"` | only in titles / bodies |

Operators are upper case. A malformed query is a 400 problem whose `position` says where."""


class SearchSort(StrEnum):
    relevance = "relevance"
    published_asc = "published"
    published_desc = "-published"


class EntityMatch(StrEnum):
    any = "any"
    all = "all"


class Facet(StrEnum):
    source = "source"
    published_year = "published_year"
    published_month = "published_month"
    entity = "entity"


class Collapse(StrEnum):
    story = "story"


# past this many matches the facets count that many, the ones added last, unless
# `exact_total=true` (the total stops there too: app.db.pagination)
FACET_SAMPLE = TOTAL_COUNTED_UP_TO


class SearchPage(Page[SearchHit]):
    facets: dict[str, list[FacetCount]] = Field(
        description="Counts over all matching articles (with `collapse=story`: over the "
        "stories, each counted once by its hit) for each `facet` asked for; over a sample "
        "when `facet_sample` says so."
    )
    facet_sample: int | None = Field(
        default=None,
        description=f"Set when the facets count a sample, not every match: past "
        f"{FACET_SAMPLE:,} matches they count the {FACET_SAMPLE:,} added last (the highest "
        "ids), unless `exact_total=true`. Null when they count every match.",
    )


@router.get("", response_model=SearchPage, responses=EXPORT_RESPONSES)
def search_articles(
    request: Request,
    session: SessionDep,
    page: OffsetPageDep,
    highlight: HighlightDep,
    q: Annotated[str, Query(description=Q_DESCRIPTION, examples=["trade -war"])],
    sort: Annotated[
        SearchSort, Query(description="`relevance` (titles weigh 10× bodies) or by date.")
    ] = SearchSort.relevance,
    source: Annotated[str | None, Query(description="Only this source.")] = None,
    author: Annotated[str | None, Query(description="Only this author.")] = None,
    published_from: Annotated[IsoDate | None, Query(description="Published on or after.")] = None,
    published_to: Annotated[IsoDate | None, Query(description="Published on or before.")] = None,
    entity_id: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None,
        Query(description="Articles mentioning these entities (repeat the parameter)."),
    ] = None,
    entity_match: Annotated[
        EntityMatch, Query(description="Articles with `any` or `all` of the `entity_id`s.")
    ] = EntityMatch.any,
    speaker_entity_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Articles quoting this entity (speech; not a stance)."),
    ] = None,
    speaker: Annotated[
        str | None,
        Query(
            description="Articles quoting this speaker (name as resolved or written; speech, "
            "not a stance)."
        ),
    ] = None,
    has_quotes: Annotated[
        bool | None,
        Query(
            description="Only articles with (true) or without (false) quotes of speech "
            "(stances do not count)."
        ),
    ] = None,
    facet: Annotated[
        list[Facet] | None, Query(description="Facets to count over all matches (repeatable).")
    ] = None,
    facet_size: Annotated[
        int, Query(ge=1, le=100, description="Values per facet (per type for `entity`).")
    ] = 10,
    collapse: Annotated[
        Collapse | None,
        Query(
            description="`story`: one hit per story (near-duplicate articles, `/stories`), "
            "its best-ranked article (in date order, its first); `total` and the facets then "
            "count stories, and `story_size` says how many articles each hit stands for."
        ),
    ] = None,
    fmt: FormatDep = ExportFormat.json,
) -> SearchPage | StreamingResponse:
    """Search articles with the query language, filters and facets, or export every hit."""
    settings = request.app.state.settings
    expression = validate_query(q, settings.MAX_QUERY_LENGTH)
    filters = ArticleFilters(
        source=source,
        author=author,
        published_from=published_from,
        published_to=published_to,
        entity_ids=tuple(entity_id or ()),
        all_entities=entity_match is EntityMatch.all,
        speaker_entity_id=speaker_entity_id,
        speaker=speaker,
        has_quotes=has_quotes,
    )
    if fmt is not ExportFormat.json:

        def export_rows(export_session: Session) -> Iterator[SearchHit]:
            hits = iter_hits(
                export_session,
                expression=expression,
                filters=filters,
                sort=sort.value,
                highlight=highlight,
            )
            with_stories = _with_stories(export_session, hits, collapse is Collapse.story)
            return (SearchHit.model_validate(hit) for hit in with_stories)

        return export(request, fmt, SearchHit, export_rows, "search")
    # a collapsed search counts its stories' facets whole
    sample = None if page.count_up_to is None or collapse else FACET_SAMPLE
    started = time.perf_counter()
    try:
        rows, total, facets = rank_articles(
            session,
            expression=expression,
            filters=filters,
            sort=sort.value,
            limit=page.limit,
            offset=page.offset,
            highlight=highlight,
            facets=tuple(f.value for f in dict.fromkeys(facet or ())),
            facet_size=facet_size,
            timeout_ms=settings.SEARCH_TIMEOUT_MS,
            collapse=collapse is Collapse.story,
            count_up_to=page.count_up_to,
            facet_sample=sample,
            ranker=request.app.state.ranker,
        )
    finally:  # a search stopped by the time limit took its time too
        engine = engine_name(settings.DATABASE_URL)
        SEARCH_TIME.labels(engine=engine).observe(time.perf_counter() - started)
    hits = [SearchHit.model_validate(row) for row in _with_stories(session, rows, False)]
    # a count that stopped gives one past the bound (a total computed anyway, e.g. while
    # ranking or collapsing, is exact and given whole)
    base = Page[SearchHit].build(request, page, hits, total)
    return SearchPage(
        **base.model_dump(exclude={"items"}),
        items=hits,
        facets={
            name: [FacetCount.model_validate(c) for c in counts] for name, counts in facets.items()
        },
        facet_sample=sample if facets and sampled_facets(total, sample) else None,
    )


_EXPORT_CHUNK = 200


def _with_stories(
    session: Session, hits: Iterable[dict[str, Any]], collapse: bool
) -> Iterator[dict[str, Any]]:
    """The hits with their ``story_id`` and ``story_size``, read a chunk at a time; with
    ``collapse``, only the first hit of each story (the export: the engines' pages collapse in
    SQL)."""
    seen: set[int] = set()
    rest = iter(hits)
    while chunk := list(islice(rest, _EXPORT_CHUNK)):
        stories = stories_of(session, [hit["id"] for hit in chunk])
        for hit in chunk:
            story_id, size = stories.get(hit["id"], (None, None))
            if collapse and story_id is not None:
                if story_id in seen:
                    continue
                seen.add(story_id)
            yield {**hit, "story_id": story_id, "story_size": size}
