"""Path-parameter aliases shared by the routers, and the error responses they document."""

import functools
import inspect
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Field
from starlette.concurrency import run_in_threadpool

from app.db.models import SPEECH_KINDS, KindFilter
from app.engines import MAX_ID as MAX_ID
from app.search import Highlight

# ids are 32-bit on PostgreSQL (and the same limit holds on SQLite): a larger one is a 422,
# not an out-of-range error from the database
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="Article id.", examples=[1])]
QuoteId = Annotated[int, Path(ge=1, le=MAX_ID, description="Quote id.", examples=[1])]
EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="Entity id.", examples=[1])]
StoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Story id.", examples=[1])]
QuotationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Quotation id.", examples=[1])]
# issue 9: a journalist can ask only for attributions the extractor is sure of
MinConfidence = Annotated[
    float | None,
    Query(
        ge=0,
        le=1,
        description="Only quotes whose attribution `confidence` is at least this (0 to 1). "
        "0.85 keeps speakers named by a speech verb in the quote's own sentence "
        '(`"…," she said`, `He said: "…"`); quotes without a speaker have confidence 0.',
        examples=[0.85],
    ),
]


KINDS_DESCRIPTION = (
    "Only quotes of these kinds; repeatable (`kind=direct&kind=indirect`). By default the "
    "speech kinds: `direct`, `block`, `partial`, `mixed` and `indirect`; stances (a position "
    "attributed without the speaker's words) only when asked for with `kind=stance`; `kind=all` "
    "lists every kind."
)


# async, as every dependency here: a plain function costs a worker-thread hop per request
async def get_kinds(
    kind: Annotated[
        list[KindFilter] | None, Query(description=KINDS_DESCRIPTION, examples=[["direct"]])
    ] = None,
) -> frozenset[str] | None:
    """The kinds a quote list shows: the speech kinds by default, None for every kind."""
    if not kind:
        return SPEECH_KINDS
    if KindFilter.all in kind:
        return None
    return frozenset(k.value for k in kind)


KindsDep = Annotated[frozenset[str] | None, Depends(get_kinds)]


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. `["query", "limit"]`.')
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable error type.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI naming the kind of problem, or `about:blank`.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str = Field(description="The request path.")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="For a 422: each invalid parameter."
    )
    position: int | None = Field(
        default=None,
        description="For an invalid search query: where it goes wrong (0-based character offset).",
    )


class SummaryRoute(APIRoute):
    """A route whose docstring's first line is its OpenAPI summary and the rest its
    description (FastAPI would derive the summary from the function name).

    A plain ``def`` endpoint runs in a worker thread as usual, but FastAPI then sees a
    coroutine: it validates and serializes the answer on the event loop instead of sending
    it to a worker thread a second time (one thread hop per request, not two)."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        doc = (endpoint.__doc__ or "").strip()
        if doc and kwargs.get("summary") is None:
            first, _, rest = doc.partition("\n")
            kwargs["summary"] = first.strip()
            kwargs.setdefault("description", rest.strip() or first.strip())
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _in_worker_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    async def run(**kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, **kwargs)

    return run


async def get_highlight(
    highlight_start: Annotated[
        str, Query(max_length=50, description="Marker before each match in snippets.")
    ] = "<mark>",
    highlight_end: Annotated[
        str, Query(max_length=50, description="Marker after each match in snippets.")
    ] = "</mark>",
) -> Highlight:
    return Highlight(highlight_start, highlight_end)


HighlightDep = Annotated[Highlight, Depends(get_highlight)]


def problem_responses(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for problem+json answers: a status with its usual description, or a
    (status, description) pair."""
    descriptions = {
        400: "Bad query (problem+json)",
        404: "Not found (problem+json)",
        422: "Invalid parameters (problem+json with `errors`)",
        503: "Search timed out (problem+json)",
    }
    schema = {"$ref": "#/components/schemas/Problem"}
    pairs = [
        (s[0], f"{s[1]} (problem+json)") if isinstance(s, tuple) else (s, descriptions[s])
        for s in statuses
    ]
    return {
        status: {
            "description": text,
            "content": {"application/problem+json": {"schema": schema}},
        }
        for status, text in pairs
    }


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic would also read a number as a Unix timestamp
    (``published_to=0.0`` as 1970-01-01), which no client means."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Input should be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
