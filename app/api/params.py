"""Path-parameter aliases shared by the routers, and the error responses they document."""

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

ArticleId = Annotated[int, Path(ge=1, description="Article id.", examples=[1])]
QuoteId = Annotated[int, Path(ge=1, description="Quote id.", examples=[1])]
EntityId = Annotated[int, Path(ge=1, description="Entity id.", examples=[1])]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI naming the kind of problem, or `about:blank`.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str = Field(description="The request path.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Bad query (problem+json)",
        404: "Not found (problem+json)",
        422: "Invalid parameters (problem+json with `errors`)",
        503: "Search timed out (problem+json)",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions[status],
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
