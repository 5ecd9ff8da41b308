"""Offset pagination: the ``PageDep`` dependency and the ``Page[T]`` envelope every list returns."""

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
    response: Response  # where Page.build puts the Link header


def get_page_params(
    request: Request,
    response: Response,
    limit: Annotated[
        int,
        Query(ge=1, description="Items per page, at most `CORPUS_MAX_PAGE_SIZE` (100 by default)."),
    ] = 20,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1, description="Number of items to skip.")] = 0,
) -> PageParams:
    cap = request.app.state.settings.MAX_PAGE_SIZE
    if limit > cap:
        # the cap is a setting, so it is checked here rather than in Query(le=...)
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "limit"),
                    "msg": f"Input should be less than or equal to {cap}",
                    "type": "less_than_equal",
                }
            ]
        )
    return PageParams(limit=limit, offset=offset, response=response)


PageDep = Annotated[PageParams, Depends(get_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="This page of results.")
    total: int = Field(description="Number of results across all pages.")
    limit: int = Field(description="Page size used.")
    offset: int = Field(description="Number of results skipped.")
    next: str | None = Field(description="URL of the next page, or null on the last page.")

    @classmethod
    def build(cls, request: Request, params: PageParams, items: list[T], total: int) -> "Page[T]":
        next_offset = params.offset + params.limit
        next_url = None
        if next_offset < total:
            next_url = str(request.url.include_query_params(offset=next_offset, limit=params.limit))
            # RFC 8288, as GitHub's API does: clients can page without reading the body
            params.response.headers["Link"] = f'<{next_url}>; rel="next"'
        return cls(
            items=items, total=total, limit=params.limit, offset=params.offset, next=next_url
        )
