"""Pagination: the ``PageDep`` dependency (offset or keyset cursor) and the ``Page[T]`` envelope
every list returns."""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

T = TypeVar("T")

# past this many results a list's total is a lower bound unless `exact_total=true` asks for
# it, as Elasticsearch's `track_total_hits` does: counting a million matches costs more than
# finding the first page of them
TOTAL_COUNTED_UP_TO = 10_000


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None
    response: Response  # where Page.build puts the Link header
    # where the list's count may stop; None: count every result
    count_up_to: int | None = TOTAL_COUNTED_UP_TO

    def window(self) -> dict[str, Any]:
        """The arguments a list query of ``app.queries`` pages by."""
        return {
            "limit": self.limit,
            "offset": self.offset,
            "cursor": self.cursor,
            "count_up_to": self.count_up_to,
        }


def _invalid(name: str, message: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", name), "msg": message, "type": kind}])


Limit = Annotated[
    int,
    Query(ge=1, description="Items per page, at most `CORPUS_MAX_PAGE_SIZE` (100 by default)."),
]
Offset = Annotated[int, Query(ge=0, le=2**63 - 1, description="Number of items to skip.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Resume after the previous page: the `next_cursor` it returned. Faster than "
        "`offset` on deep pages.",
    ),
]
ExactTotal = Annotated[
    bool,
    Query(
        description=f"Count every result: otherwise past {TOTAL_COUNTED_UP_TO:,} the count "
        "stops there and `total_is_exact` is false.",
        examples=[True],
    ),
]


async def get_page_params(
    request: Request,
    response: Response,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
    exact_total: ExactTotal = False,
) -> PageParams:
    """Paging for lists that resume by keyset cursor as well as by offset."""
    if cursor is not None and offset:
        raise _invalid("offset", "Use either a cursor or an offset, not both", "value_error")
    return _checked(request, _params(limit, offset, cursor, response, exact_total))


async def get_offset_page_params(
    request: Request,
    response: Response,
    limit: Limit = 20,
    offset: Offset = 0,
    exact_total: ExactTotal = False,
) -> PageParams:
    """Paging by offset only (search results, an article's entities)."""
    return _checked(request, _params(limit, offset, None, response, exact_total))


def _params(
    limit: int, offset: int, cursor: str | None, response: Response, exact_total: bool
) -> PageParams:
    count_up_to = None if exact_total else TOTAL_COUNTED_UP_TO
    return PageParams(limit, offset, cursor, response, count_up_to)


def _checked(request: Request, params: PageParams) -> PageParams:
    cap = request.app.state.settings.MAX_PAGE_SIZE
    if params.limit > cap:
        # the cap is a setting, so it is checked here rather than in Query(le=...)
        raise _invalid("limit", f"Input should be less than or equal to {cap}", "less_than_equal")
    return params


# async: a plain function costs a worker-thread hop per request
PageDep = Annotated[PageParams, Depends(get_page_params)]
OffsetPageDep = Annotated[PageParams, Depends(get_offset_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="This page of results.")
    total: int = Field(
        description="Number of results across all pages; a lower bound when `total_is_exact` "
        "is false."
    )
    total_is_exact: bool = Field(
        default=True,
        description=f"False when `total` is a lower bound: past {TOTAL_COUNTED_UP_TO:,} "
        "results the count stops there unless `exact_total=true`.",
    )
    limit: int = Field(description="Page size used.")
    offset: int = Field(description="Number of results skipped.")
    next: str | None = Field(description="URL of the next page, or null on the last page.")
    next_cursor: str | None = Field(
        default=None,
        description="Cursor of the next page (pass it as `cursor`), on lists that have them.",
    )

    @classmethod
    def build(
        cls,
        request: Request,
        params: PageParams,
        items: list[T],
        total: int,
        next_cursor: str | None = None,
    ) -> "Page[T]":
        """The envelope; ``next`` resumes by cursor when the list gave one, else by offset.
        A count that stopped gives one past ``params.count_up_to`` (``fetch_page``): the total
        is then that bound, marked inexact."""
        exact = params.count_up_to is None or total != params.count_up_to + 1
        if not exact:
            total = params.count_up_to or 0
        next_offset = params.offset + params.limit
        if next_cursor is not None:
            url = request.url.remove_query_params("offset")
            next_url: str | None = str(url.include_query_params(cursor=next_cursor))
        elif params.cursor is None and next_offset < total:
            next_url = str(request.url.include_query_params(offset=next_offset, limit=params.limit))
        else:
            next_url = None
        if next_url is not None:
            # RFC 8288, as GitHub's API does: clients can page without reading the body
            params.response.headers["Link"] = f'<{next_url}>; rel="next"'
        return cls(
            items=items,
            total=total,
            total_is_exact=exact,
            limit=params.limit,
            offset=params.offset,
            next=next_url,
            next_cursor=next_cursor,
        )
