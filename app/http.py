"""HTTP behaviour shared by every endpoint: request ids and the access log, conditional GETs
(ETag, Last-Modified, 304) with Cache-Control, gzip and CORS."""

import hashlib
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

access_log = logging.getLogger("app.access")
_request_id_re = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Echo a well-formed ``X-Request-ID`` (or make one) and log one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _request_id_re.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                '%s "%s %s" %s %.1fms id=%s',
                (scope.get("client") or ("-",))[0],
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )


class HeadAsGetMiddleware:
    """Answer HEAD like GET without the body (RFC 9110 9.3.2): same status and headers, ETag
    included. The routes themselves only declare GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class ConditionalGetMiddleware:
    """Give successful GET responses an ETag (a hash of the body), a Last-Modified (when the
    database file last changed) and Cache-Control, and answer 304 when the client's copy is
    current. Streamed responses pass through untouched."""

    def __init__(self, app: ASGIApp, *, database_path: Path | None, cache_control: str) -> None:
        self.app = app
        self.database_path = database_path
        self.cache_control = cache_control.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _has_header(message, b"etag"):
                    await send(message)  # static files validate themselves
                else:
                    start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                if start["status"] != 200 or _is_streaming(start):
                    await self._flush(send, start, chunks, more=True)
                    start, chunks[:] = None, []
                return
            await self._finish(scope, send, start, b"".join(chunks))

        await self.app(scope, receive, buffer)

    @staticmethod
    async def _flush(send: Send, start: Message, chunks: list[bytes], *, more: bool) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": more})

    async def _finish(self, scope: Scope, send: Send, start: Message, body: bytes) -> None:
        if start["status"] != 200:
            await self._flush(send, start, [body], more=False)
            return
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
        modified = self._last_modified()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers += [(b"etag", etag.encode()), (b"cache-control", self.cache_control)]
        if not _has_header(start, b"vary"):
            # the body depends on Accept-Encoding (gzip), on the 304 too: RFC 9110 15.4.5
            headers.append((b"vary", b"Accept-Encoding"))
        if modified is not None:
            headers.append((b"last-modified", format_datetime(modified, usegmt=True).encode()))
        if _not_modified(scope, etag, modified):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _last_modified(self) -> datetime | None:
        """The newest change to the database: its file, or its write-ahead log."""
        if self.database_path is None:
            return None
        # an empty write-ahead log only means a connection opened the file
        times = [
            stat.st_mtime
            for path in (self.database_path, Path(f"{self.database_path}-wal"))
            if path.exists() and (stat := path.stat()).st_size
        ]
        if not times:
            return None
        return datetime.fromtimestamp(int(max(times)), UTC)


def _has_header(start: Message, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in start.get("headers", []))


def _is_streaming(start: Message) -> bool:
    return not _has_header(start, b"content-length")


def _not_modified(scope: Scope, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 section 13.1: If-None-Match wins over If-Modified-Since."""
    if_none_match = _header(scope, b"if-none-match")
    if if_none_match is not None:
        tags = {t.strip() for t in if_none_match.split(",")}
        return "*" in tags or etag in tags or etag.removeprefix("W/") in tags
    if_modified_since = _header(scope, b"if-modified-since")
    if if_modified_since is None or modified is None:
        return False
    try:
        return modified <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def add_http_middleware(app: FastAPI, settings: Settings, database_path: Path | None) -> None:
    """Stack the middleware; the last added runs first, so request ids cover everything and the
    ETag is computed on the uncompressed body."""
    if not access_log.handlers:
        # our access line replaces uvicorn's (`corpus serve` turns that off) to carry the id
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    cache_control = (
        f"public, max-age={settings.CACHE_MAX_AGE}" if settings.CACHE_MAX_AGE else "no-cache"
    )
    app.add_middleware(
        ConditionalGetMiddleware, database_path=database_path, cache_control=cache_control
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["ETag", "Last-Modified", "Link", "X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)
