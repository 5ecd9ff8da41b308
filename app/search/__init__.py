"""Full-text search, engine-neutral: a query is validated and parsed here once, and each call
goes to the search module of the session's engine (``app.engines.search_module``)."""

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlmodel import Session

from app.engines import search_module
from app.engines.common import ArticleFilters, Highlight, SearchIndex, sampled_facets
from app.engines.facets import FACETS
from app.errors import InvalidSearchQuery, SearchTooCostly
from app.search.language import FIELDS, Node, QuerySyntaxError, QueryTooCostly, parse
from app.search.ranker import Ranker, Syncer, folder_for

__all__ = [
    "FACETS",
    "ArticleFilters",
    "Highlight",
    "Ranker",
    "Syncer",
    "folder_for",
    "sampled_facets",
]


class Engine(Protocol):
    """What each engine module provides."""

    def time_limit(self, session: Session, timeout_ms: int) -> AbstractContextManager[None]: ...

    def rank_articles(
        self,
        session: Session,
        *,
        expression: Node,
        filters: ArticleFilters,
        sort: str,
        limit: int,
        offset: int,
        highlight: Highlight,
        facets: tuple[str, ...] = (),
        facet_size: int = 10,
        timeout_ms: int,
        collapse: bool = False,
        count_up_to: int | None = None,
        facet_sample: int | None = None,
        index: SearchIndex | None = None,
    ) -> tuple[list[dict[str, Any]], int, dict[str, list[dict[str, Any]]]]: ...

    def iter_hits(
        self,
        session: Session,
        *,
        expression: Node,
        filters: ArticleFilters,
        sort: str,
        highlight: Highlight,
    ) -> Iterator[dict[str, Any]]: ...

    def quote_snippets(
        self, session: Session, *, expression: Node, quote_ids: list[int], highlight: Highlight
    ) -> dict[int, str]: ...

    def entity_articles(
        self, session: Session, *, entity_id: int
    ) -> list[tuple[int, str | None, int, bytes]]: ...


def engine_of(session: Session) -> Engine:
    """The engine module for the database the session is bound to."""
    module: Engine = search_module(session)
    return module


def validate_query(query: str, max_length: int, *, fields: tuple[str, ...] = FIELDS) -> Node:
    """The syntax tree of a query in our language, or ``InvalidSearchQuery`` saying where it
    is wrong; each engine renders the tree in its own syntax."""
    if len(query) > max_length:
        raise InvalidSearchQuery(
            f"The query is {len(query)} characters long; the limit is {max_length}."
        )
    try:
        return parse(query, fields=fields)
    except QueryTooCostly as exc:
        raise SearchTooCostly(str(exc), position=exc.position) from exc
    except QuerySyntaxError as exc:
        raise InvalidSearchQuery(str(exc), position=exc.position) from exc


def time_limit(session: Session, timeout_ms: int) -> AbstractContextManager[None]:
    """Stop the session's statements after ``timeout_ms`` with a ``SearchTimeout``."""
    return engine_of(session).time_limit(session, timeout_ms)


def rank_articles(
    session: Session, *, ranker: Ranker | None = None, **kwargs: Any
) -> tuple[list[dict[str, Any]], int, dict[str, list[dict[str, Any]]]]:
    """One page of matching articles (higher ``score`` is better on every engine), the total
    and the facet counts; arguments as ``Engine.rank_articles``. With a ``ranker`` (the index
    beside the database), a big relevance search takes its page from the ranker's best, and a
    search far past the count's bound is not counted by the engine."""
    if ranker is not None and not kwargs.get("collapse"):
        page_end = kwargs["offset"] + kwargs["limit"]
        kwargs["index"] = _asked(ranker, kwargs["expression"], page_end)
    return engine_of(session).rank_articles(session, **kwargs)


def _asked(ranker: Ranker, expression: Node, page_end: int) -> SearchIndex:
    """The index asked about one search: a count (asked first, when asked; once, however often
    the engine asks) brings the page's candidates in the same pass, which a search without
    filters then takes (a phrase at a million articles: 19 ms a pass)."""
    found: tuple[list[tuple[int, float]], int | None] | None = None
    asked = False

    def count() -> int | None:
        nonlocal found, asked
        if not asked:
            found, asked = ranker.search(expression, page_end, count=True), True
        return None if found is None else found[1]

    def top(n: int) -> list[tuple[int, float]] | None:
        if found is not None and n <= page_end:
            return found[0][:n]
        return ranker.top(expression, n)

    return SearchIndex(top=top, count=count, newest=lambda n: ranker.newest(expression, n))


def iter_hits(session: Session, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every matching article in order: the search export."""
    return engine_of(session).iter_hits(session, **kwargs)


def quote_snippets(
    session: Session, *, expression: Node, quote_ids: list[int], highlight: Highlight
) -> dict[int, str]:
    """Highlighted quote text for the given quotes matching a query."""
    return engine_of(session).quote_snippets(
        session, expression=expression, quote_ids=quote_ids, highlight=highlight
    )


def entity_articles(
    session: Session, *, entity_id: int
) -> list[tuple[int, str | None, int, bytes]]:
    """For each article mentioning an entity: its id, its month ('YYYY-MM', None if undated),
    the entity's mentions in it, and the packed ids (``app.db.models.pack_ids``) of the
    entities it mentions."""
    return engine_of(session).entity_articles(session, entity_id=entity_id)
