"""Entity endpoints: list by type and name, one entity, the articles that mention it, its quotes
and its quotations."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.export import EXPORT_RESPONSES, ExportFormat, FormatDep, export_query
from app.api.params import EntityId, KindsDep, MinConfidence, SummaryRoute, problem_responses
from app.db.models import ArticlePublic, Entity, EntityDetail, EntityPublic, QuoteHit
from app.db.pagination import Page, PageDep
from app.db.quotations import QuotationPublic
from app.db.session import SessionDep
from app.errors import NotFound
from app.queries import articles as article_queries
from app.queries import entities as queries
from app.queries import quotations as quotation_queries
from app.queries import quotes as quote_queries
from app.queries.articles import ArticleSort
from app.queries.entities import EntitySort

router = APIRouter(
    prefix="/entities",
    tags=["entities"],
    responses=problem_responses(422),
    route_class=SummaryRoute,
)


def _get_or_404(session: SessionDep, entity_id: int) -> Entity:
    """The entity, or the one it was merged into (issue 20: an old id still answers)."""
    entity = queries.get_entity(session, entity_id=entity_id)
    if entity is None:
        raise NotFound(f"No entity with id {entity_id}.")
    return entity


def _id_of(session: SessionDep, entity_id: int) -> int:
    entity = _get_or_404(session, entity_id)
    assert entity.id is not None
    return entity.id


@router.get("", response_model=Page[EntityPublic], responses=EXPORT_RESPONSES)
def list_entities(
    request: Request,
    session: SessionDep,
    page: PageDep,
    entity_type: Annotated[
        str | None,
        Query(
            alias="type",
            pattern=r"^[A-Za-z_]{2,20}$",
            description="Only this spaCy label, e.g. PERSON, ORG, GPE, LOC, NORP.",
            examples=["PERSON"],
        ),
    ] = None,
    name_prefix: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Names starting with this, ignoring case and accents.",
            examples=["Ren"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Autocomplete: names or aliases with words starting with each word "
            "given, ignoring case and accents (`sao pa` finds São Paulo).",
            examples=["ren zh"],
        ),
    ] = None,
    sort: Annotated[EntitySort, Query(description="Order; `-` means descending.")] = (
        EntitySort.mentions_desc
    ),
    fmt: FormatDep = ExportFormat.json,
) -> Page[EntityPublic] | StreamingResponse:
    """List entities, most mentioned first, or export them all as CSV or NDJSON."""
    filters: dict[str, Any] = {
        "entity_type": entity_type,
        "name_prefix": name_prefix,
        "name_query": q,
    }
    if fmt is not ExportFormat.json:
        statement = queries.with_story_count(queries.entities_query(**filters))
        return export_query(request, fmt, EntityPublic, statement, queries.ORDERS[sort], "entities")
    items, total, following = queries.list_entities(session, sort=sort, **page.window(), **filters)
    stories = queries.story_counts(session, entity_ids=[item.id for item in items])
    entities = [
        EntityPublic.model_validate({**item._asdict(), "story_count": stories.get(item.id, 0)})
        for item in items
    ]
    return Page[EntityPublic].build(request, page, entities, total, following)


class RelatedBy(StrEnum):
    article = "article"
    story = "story"


@router.get("/{entity_id}", response_model=EntityDetail, responses=problem_responses(404))
def get_entity(
    request: Request,
    response: Response,
    session: SessionDep,
    entity_id: EntityId,
    related_by: Annotated[
        RelatedBy,
        Query(
            description="Count co-occurrence (`related`, its `pmi`) over `article`s, or over "
            "`story`s, so that the copies of a syndicated story count once."
        ),
    ] = RelatedBy.article,
) -> EntityDetail:
    """Get one entity: aliases, counts, co-occurring entities and a monthly timeline.

    An entity merged into another (a bare surname or a variant of a person's name) answers
    as that one, with `redirected_from` and a `Content-Location` header naming it."""
    entity = _get_or_404(session, entity_id)
    assert entity.id is not None
    redirected = entity.id != entity_id
    if redirected:
        response.headers["Content-Location"] = str(
            request.url_for("get_entity", entity_id=entity.id).path
        )
    return EntityDetail.model_validate(
        {
            **EntityPublic.model_validate(entity).model_dump(),
            "redirected_from": entity_id if redirected else None,
            "story_count": queries.story_counts(session, entity_ids=[entity.id]).get(entity.id, 0),
            **queries.profile(session, entity=entity, by_story=related_by is RelatedBy.story),
        }
    )


@router.get(
    "/{entity_id}/articles", response_model=Page[ArticlePublic], responses=problem_responses(404)
)
def list_entity_articles(
    request: Request, session: SessionDep, page: PageDep, entity_id: EntityId
) -> Page[ArticlePublic]:
    """List the articles that mention one entity (or the one it joined), newest first."""
    entity_id = _id_of(session, entity_id)
    items, total, following = article_queries.list_articles(
        session,
        entity_id=entity_id,
        sort=ArticleSort.published_desc,
        **page.window(),
    )
    articles = [ArticlePublic.model_validate(item) for item in items]
    return Page[ArticlePublic].build(request, page, articles, total, following)


@router.get("/{entity_id}/quotes", response_model=Page[QuoteHit], responses=problem_responses(404))
def list_entity_quotes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    entity_id: EntityId,
    kinds: KindsDep,
    min_confidence: MinConfidence = None,
) -> Page[QuoteHit]:
    """List what one entity said: the quotes attributed to it.

    Speech by default; stances with `kind=stance`, every kind with `kind=all`. A merged
    entity's id lists the quotes of the one it was merged into."""
    entity_id = _id_of(session, entity_id)
    items, total, following = quote_queries.list_quotes(
        session,
        speaker_entity_id=entity_id,
        kinds=kinds,
        min_confidence=min_confidence,
        **page.window(),
    )
    quotes = quote_queries.quote_hits(session, items)
    return Page[QuoteHit].build(request, page, quotes, total, following)


@router.get(
    "/{entity_id}/quotations",
    response_model=Page[QuotationPublic],
    responses=problem_responses(404),
)
def list_entity_quotations(
    request: Request, session: SessionDep, page: PageDep, entity_id: EntityId
) -> Page[QuotationPublic]:
    """List everything one entity said, each quotation once, most quoted first."""
    entity_id = _id_of(session, entity_id)
    items, total, following = quotation_queries.list_quotations(
        session,
        speaker_entity_id=entity_id,
        **page.window(),
    )
    return Page[QuotationPublic].build(request, page, items, total, following)
