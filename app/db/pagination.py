"""Pagination: the ``PageDep`` dependency (offset or keyset cursor) and the ``Page[T]`` envelope
every list returns."""

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None
    response: Response  # where Page.build puts the Link header


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


async def get_page_params(
    request: Request,
    response: Response,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> PageParams:
    """Paging for lists that resume by keyset cursor as well as by offset."""
    if cursor is not None and offset:
        raise _invalid("offset", "Use either a cursor or an offset, not both", "value_error")
    return _checked(
        request, PageParams(limit=limit, offset=offset, cursor=cursor, response=response)
    )


async def get_offset_page_params(
    request: Request, response: Response, limit: Limit = 20, offset: Offset = 0
) -> PageParams:
    """Paging by offset only (search results, an article's entities)."""
    return _checked(request, PageParams(limit=limit, offset=offset, cursor=None, response=response))


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
    total: int = Field(description="Number of results across all pages.")
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
        """The envelope; ``next`` resumes by cursor when the list gave one, else by offset."""
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
            limit=params.limit,
            offset=params.offset,
            next=next_url,
            next_cursor=next_cursor,
        )
