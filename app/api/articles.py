"""Article endpoints: list with filters, one article, its quotes and its entities."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from app.api.export import EXPORT_RESPONSES, ExportFormat, FormatDep, export_query
from app.api.params import (
    MAX_ID,
    ArticleId,
    IsoDate,
    KindsDep,
    MinConfidence,
    SummaryRoute,
    problem_responses,
)
from app.db.models import (
    ArticleDetail,
    ArticleEntity,
    ArticleListItem,
    ArticlePublic,
    ArticleSummary,
    QuotePublic,
)
from app.db.pagination import OffsetPageDep, Page, PageDep
from app.db.session import SessionDep
from app.errors import NotFound
from app.queries import articles as queries
from app.queries.articles import ArticleSort

router = APIRouter(
    prefix="/articles",
    tags=["articles"],
    responses=problem_responses(422),
    route_class=SummaryRoute,
)


def _get_or_404(session: SessionDep, article_id: int) -> Any:
    article = queries.get_article(session, article_id=article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id}.")
    return article


_SUMMARY_FIELDS = (*ArticleSummary.model_fields, "story_id", "story_size")
_INCLUDES = ("body", "quotes", "entities")


def _names(param: str, value: str | None, allowed: tuple[str, ...]) -> set[str] | None:
    """A comma-separated list of names, each one of ``allowed``."""
    if value is None:
        return None
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(allowed))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", param),
                    "msg": f"Unknown {', '.join(unknown)}; choose from {', '.join(allowed)}",
                    "type": "value_error",
                }
            ]
        )
    return names


@router.get(
    "",
    response_model=Page[ArticleListItem],
    response_model_exclude_unset=True,
    responses=EXPORT_RESPONSES,
)
def list_articles(
    request: Request,
    session: SessionDep,
    page: PageDep,
    kinds: KindsDep,
    source: Annotated[
        str | None, Query(description="Only this source (exact).", examples=["Wikinews"])
    ] = None,
    author: Annotated[str | None, Query(description="Only this author (exact).")] = None,
    published_from: Annotated[
        IsoDate | None,
        Query(description="Published on or after this date.", examples=["2020-01-01"]),
    ] = None,
    published_to: Annotated[
        IsoDate | None,
        Query(description="Published on or before this date.", examples=["2020-12-31"]),
    ] = None,
    entity_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only articles that mention this entity.")
    ] = None,
    sort: Annotated[
        ArticleSort, Query(description="Order; `-` means descending. Undated articles last.")
    ] = ArticleSort.published_desc,
    fields: Annotated[
        str | None,
        Query(
            description="Sparse items: only these comma-separated fields (and `id`).",
            examples=["id,title,published"],
        ),
    ] = None,
    include: Annotated[
        str | None,
        Query(
            description="Comma-separated extras per item: `body`, `quotes` (of the kinds `kind` "
            "names: speech by default), `entities`. Default `body`, or nothing when `fields` is "
            "given.",
            examples=["quotes,entities"],
        ),
    ] = None,
    fmt: FormatDep = ExportFormat.json,
) -> Page[ArticleListItem] | StreamingResponse:
    """List articles, newest first, or export them all as CSV or NDJSON."""
    chosen = _names("fields", fields, _SUMMARY_FIELDS)
    extras = _names("include", include, _INCLUDES)
    if extras is None:
        extras = {"body"} if chosen is None else set()
    filters: dict[str, Any] = {
        "source": source,
        "author": author,
        "published_from": published_from,
        "published_to": published_to,
        "entity_id": entity_id,
    }
    if fmt is not ExportFormat.json:
        statement = queries.articles_query(**filters)
        return export_query(
            request, fmt, ArticlePublic, statement, queries.ORDERS[sort], "articles"
        )
    items, total, following = queries.list_articles(session, sort=sort, **page.window(), **filters)
    ids = [article.id for article in items if article.id is not None]
    quotes = (
        queries.quotes_by_article(session, article_ids=ids, kinds=kinds)
        if "quotes" in extras
        else {}
    )
    entities = queries.entities_by_article(session, article_ids=ids) if "entities" in extras else {}
    listed = []
    for article in items:
        data = {
            name: getattr(article, name)
            for name in _SUMMARY_FIELDS
            if chosen is None or name in chosen or name == "id"
        }
        if "body" in extras:
            data["body"] = article.body
        if "quotes" in extras:
            data["quotes"] = [
                QuotePublic.model_validate(q) for q in quotes.get(article.id or 0, [])
            ]
        if "entities" in extras:
            data["entities"] = entities.get(article.id or 0, [])
        listed.append(ArticleListItem.model_validate(data))
    return Page[ArticleListItem].build(request, page, listed, total, following)


@router.get("/{article_id}", response_model=ArticleDetail, responses=problem_responses(404))
def get_article(session: SessionDep, article_id: ArticleId, kinds: KindsDep) -> ArticleDetail:
    """Get one article with its body, entities and quotes.

    Its quotes are speech by default; stances with `kind=stance`, every kind with `kind=all`."""
    article = _get_or_404(session, article_id)
    quotes, _, _ = queries.article_quotes(session, article_id=article_id, kinds=kinds)
    return ArticleDetail.model_validate(
        {
            **article._asdict(),
            "entities": queries.article_entities(session, article_id=article_id),
            "quotes": [quote._asdict() for quote in quotes],  # validated with the whole
        }
    )


@router.get(
    "/{article_id}/quotes", response_model=Page[QuotePublic], responses=problem_responses(404)
)
def list_article_quotes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    article_id: ArticleId,
    kinds: KindsDep,
    min_confidence: MinConfidence = None,
) -> Page[QuotePublic]:
    """List the quotes in one article, in body order.

    Speech by default; stances with `kind=stance`, every kind with `kind=all`."""
    _get_or_404(session, article_id)
    items, total, following = queries.article_quotes(
        session,
        article_id=article_id,
        **page.window(),
        min_confidence=min_confidence,
        kinds=kinds,
    )
    quotes = [QuotePublic.model_validate(item) for item in items]
    return Page[QuotePublic].build(request, page, quotes, total, following)


@router.get(
    "/{article_id}/entities",
    response_model=Page[ArticleEntity],
    responses=problem_responses(404),
)
def list_article_entities(
    request: Request, session: SessionDep, page: OffsetPageDep, article_id: ArticleId
) -> Page[ArticleEntity]:
    """List the entities one article mentions, most mentioned first, with their offsets."""
    _get_or_404(session, article_id)
    entities = queries.article_entities(session, article_id=article_id)
    window = [
        ArticleEntity.model_validate(e) for e in entities[page.offset : page.offset + page.limit]
    ]
    return Page[ArticleEntity].build(request, page, window, len(entities))
