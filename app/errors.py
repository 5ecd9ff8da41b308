"""Application errors and the handlers that render every error as RFC 9457 problem+json."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# tag URIs (RFC 4151) name problem types without promising a page: RFC 9457 section 3.1.1
PROBLEM_TYPE_BASE = "tag:news-corpus,2026:problems/"


class AppError(Exception):
    """An error the API reports to the client; subclasses fix status, slug and title."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra  # more members of the problem object, e.g. a query error's position


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class BadRequest(AppError):
    pass


class InvalidSearchQuery(BadRequest):
    slug = "invalid-search-query"
    title = "Invalid search query"


class SearchTimeout(AppError):
    status = 503
    slug = "search-timeout"
    title = "Search took too long"


class SearchTooCostly(BadRequest):
    slug = "search-too-costly"
    title = "Search too costly"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Missing or wrong API key"
    # RFC 6750 section 3: a 401 names the scheme the client should use
    headers = {"WWW-Authenticate": 'Bearer realm="news-corpus"'}


class WritesDisabled(AppError):
    status = 403
    slug = "writes-disabled"
    title = "Writes are disabled"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class DatabaseBusy(AppError):
    """Another write held the database past its busy timeout; the client should retry."""

    status = 503
    slug = "database-busy"
    title = "Database busy"
    headers = {"Retry-After": "5"}


class InvalidCursor(ValueError):
    """A pagination cursor this service did not hand out (reported as a 422)."""


def problem_body(
    status: int,
    instance: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The members of a problem object (RFC 9457 section 3)."""
    return {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "instance": instance,
        **extra,
    }


def problem(
    request: Request,
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(status, request.url.path, slug=slug, title=title, detail=detail, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(
        request,
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # no "input" or "ctx" keys: a 422 must not echo what the client sent
    errors = [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    return problem(
        request,
        422,
        slug="validation-error",
        title="Invalid request parameters",
        detail="; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
        errors=jsonable_encoder(errors),
    )


async def _invalid_cursor(request: Request, exc: Exception) -> JSONResponse:
    issue = {"loc": ("query", "cursor"), "msg": str(exc), "type": "value_error"}
    return await _validation_error(request, RequestValidationError([issue]))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = {
        404: (NotFound.slug, NotFound.title),
        405: ("method-not-allowed", "Method not allowed"),
    }.get(exc.status_code, (None, None))
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404:
        detail = f"No route matches {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return problem(request, exc.status_code, slug=slug, title=title, detail=detail, headers=headers)


async def _unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request, 500, slug="internal-error", detail="The server failed to answer this request."
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled_error)
