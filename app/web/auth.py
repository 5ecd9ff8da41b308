"""API keys: ``Authorization: Bearer <key>`` checked in constant time against
``CORPUS_API_KEYS``. Writes need a key (and are off when none is configured); reads need one
only with ``CORPUS_READ_REQUIRES_KEY``. A key is never logged or echoed."""

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from app.errors import Unauthorized, WritesDisabled
from app.web.asgi import header

# auto_error=False: a missing key is our 401 problem+json, not FastAPI's plain 403
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `CORPUS_API_KEYS`, sent as `Authorization: Bearer <key>`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def key_is_valid(given: str, keys: list[str]) -> bool:
    """Compare with every configured key, each in constant time, without stopping at a match,
    so the answer's timing says nothing about which key or how much of it matched."""
    given_bytes = given.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given_bytes, key.encode())
    return matched


def scope_has_key(scope: Scope, keys: list[str]) -> bool:
    """Does an ASGI request carry ``Authorization: Bearer <key>`` with a valid key? For
    middleware that must not answer before the key is checked (a 304, issue 18)."""
    value = header(scope, b"authorization") or ""
    scheme, _, given = value.partition(" ")
    return scheme.lower() == "bearer" and key_is_valid(given.strip(), keys)


def _check(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    keys: list[str] = request.app.state.settings.API_KEYS
    if credentials is None:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    if not key_is_valid(credentials.credentials, keys):
        raise Unauthorized("The API key is not valid.")


# the checks are async: a plain function would cost a worker-thread hop on every request
async def require_write_key(request: Request, credentials: Credentials) -> None:
    if not request.app.state.settings.API_KEYS:
        raise WritesDisabled("No API key is configured (CORPUS_API_KEYS), so writes are off.")
    _check(request, credentials)


async def require_read_key(request: Request, credentials: Credentials) -> None:
    _check(request, credentials)


WriteKey = Annotated[None, Depends(require_write_key)]


async def require_metrics_key(request: Request, credentials: Credentials) -> None:
    """``/metrics`` needs a key only with ``CORPUS_METRICS_REQUIRES_KEY``."""
    if request.app.state.settings.METRICS_REQUIRES_KEY:
        _check(request, credentials)
