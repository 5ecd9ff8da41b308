"""HTTP behaviour shared by every endpoint: request ids and the access log, admission control
under overload, conditional GETs (ETag, Last-Modified, 304) with Cache-Control, gzip and CORS."""

import asyncio
import hashlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.db import ChangeToken
from app.errors import PROBLEM_MEDIA_TYPE, problem_body

access_log = logging.getLogger("app.access")
logger = logging.getLogger(__name__)
_request_id_re = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# ids made here: random per process, then counted (a uuid4 per request costs a system call)
_id_prefix = os.urandom(8).hex()
_id_counter = itertools.count(1)


def new_request_id() -> str:
    return f"{_id_prefix}{next(_id_counter):016x}"


class BufferedLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes lines in batches, at most ``interval_s`` late, as nginx's ``access_log buffer=
    flush=`` does: one write per batch from a thread of its own, instead of a write and a flush
    on the event loop's thread for every request."""

    def __init__(self, stream: Any = None, *, interval_s: float = 1.0, max_lines: int = 256):
        super().__init__(stream)
        self.interval_s = interval_s
        self.max_lines = max_lines
        self.lines: list[str] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._flush_every, name="log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        # Handler.handle holds self.lock here, as flush() does
        try:
            self.lines.append(self.format(record))
        except Exception:  # logging's own contract: a bad record is reported, never raised
            self.handleError(record)
            return
        if len(self.lines) >= self.max_lines:
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self.lines and self.stream is not None:
                self.stream.write("\n".join(self.lines) + "\n")
                self.lines.clear()
                self.stream.flush()

    def close(self) -> None:
        self.stopped.set()
        self.flush()
        super().close()

    def _flush_every(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.flush()


async def send_problem(
    send: Send, scope: Scope, status: int, *, headers: dict[str, str] | None = None, **members: str
) -> None:
    """Answer with a problem+json from middleware, where no Request or handler exists."""
    body = json.dumps(problem_body(status, scope.get("path", ""), **members)).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Echo a well-formed ``X-Request-ID`` (or make one), log one access line per request, and
    turn an error that escapes the app into a 500 problem that still carries the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _request_id_re.match(given) else new_request_id()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise  # the status line is out; the server can only cut the connection
            await send_problem(
                send_with_id,
                scope,
                500,
                slug="internal-error",
                detail="The server failed to answer this request.",
            )
        finally:
            access_log.info(
                '"%s %s" %s %.1fms id=%s',
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )


class AdmissionMiddleware:
    """Let at most ``slots`` requests work at once and queue the others, but only while the
    expected wait stays under ``max_wait_s``: beyond that a request gets an immediate 503 with
    ``Retry-After`` instead of a long wait, and a queued request whose client has gone is
    dropped. Without this, every request past the worker threads waited its turn however long
    the queue, and went on working for clients that had given up."""

    def __init__(self, app: ASGIApp, *, slots: int, max_wait_s: float) -> None:
        self.app = app
        self.slots = slots
        self.max_wait_s = max_wait_s
        self.free = slots
        self.queue: deque[asyncio.Future[None]] = deque()
        # moving average (over ~64 requests, so one slow request does not swing it) of the time
        # between two requests leaving while others queue: how fast the queue drains, measured
        # on the queue itself, so contention inside the process cannot inflate it
        self.drain_s = 0.001
        self.last_release = time.monotonic()
        self.backlogged = False  # the last slot freed went to a queued request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.free > 0 and not self.queue:
            self.free -= 1
        else:
            expected_wait = (len(self.queue) + 1) * self.drain_s
            if expected_wait > self.max_wait_s:
                await self._refuse(scope, send)
                return
            received: list[Message] = []
            outcome = await self._wait_for_slot(receive, received)
            if outcome == "gone":
                return
            if outcome == "timeout":
                await self._refuse(scope, send)
                return
            receive = _replaying(received, receive)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release()

        async def send_releasing(message: Message) -> None:
            # the slot guards the work before the answer; a long download keeps no slot
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()

    async def _wait_for_slot(self, receive: Receive, received: list[Message]) -> str:
        """Queue for a slot while listening for the client leaving; what the client sent
        meanwhile is kept in ``received``. Returns "admitted", "gone" or "timeout"."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append(turn)
        deadline = time.monotonic() + self.max_wait_s
        listening = asyncio.ensure_future(receive())
        try:
            while not turn.done():
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    return "timeout"
                pending: set[asyncio.Future[Any]] = {turn, listening}
                await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if listening.done() and not turn.done():
                    message = listening.result()
                    if message["type"] == "http.disconnect":
                        return "gone"
                    received.append(message)
                    listening = asyncio.ensure_future(receive())
            return "admitted"
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # cancelled just as the slot came: pass it on
            raise
        finally:
            if not listening.done():
                listening.cancel()
            elif not listening.cancelled():
                received.append(listening.result())
            if not turn.done():
                turn.cancel()
                self.queue.remove(turn)

    def _release(self) -> None:
        now = time.monotonic()
        if self.queue and self.backlogged:  # an interval spent wholly with a queue waiting
            self.drain_s += (now - self.last_release - self.drain_s) / 64
        self.last_release, self.backlogged = now, bool(self.queue)
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes straight to the next in line
                return
        self.free += 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        retry_after = max(1, round(self.max_wait_s))
        await send_problem(
            send,
            scope,
            503,
            headers={"Retry-After": str(retry_after)},
            slug="overloaded",
            title="Server overloaded",
            detail=f"Too many requests are waiting; retry in {retry_after} s.",
        )


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """A receive that first hands back what was read while the request was queued."""

    async def replay() -> Message:
        return received.pop(0) if received else await receive()

    return replay


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
    """Give successful GET responses an ETag and a Last-Modified derived from the database's
    change token (no body is hashed), and Cache-Control. A matching ``If-None-Match`` is
    answered with 304 before any work is done; ``If-Modified-Since`` alone is checked once the
    response is known to be a 200 (RFC 9110 13.2.2)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        change_token: Callable[[], ChangeToken | None],
        build: str,
        cache_control: str,
    ) -> None:
        self.app = app
        self.change_token = change_token
        self.build = build
        self.cache_control = cache_control.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        token = self.change_token()
        if token is None:
            await self.app(scope, receive, send)
            return
        version, modified = token
        etag = self._etag(scope, version)
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", format_datetime(modified, usegmt=True).encode()),
            (b"cache-control", self.cache_control),
            # the body depends on Accept-Encoding (gzip), on the 304 too: RFC 9110 15.4.5
            (b"vary", b"Accept-Encoding"),
        ]
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None and _etag_matches(if_none_match, etag):
            await _not_modified(send, validators)
            return
        check_date = if_none_match is None and _modified_since(scope, modified)
        answered = False  # a 304 went out instead of the app's 200

        async def send_with_validators(message: Message) -> None:
            nonlocal answered
            if answered:
                return
            if (
                message["type"] == "http.response.start"
                and message["status"] == 200
                and not _has_header(message, b"etag")  # static files validate themselves
            ):
                if check_date:
                    answered = True
                    await _not_modified(send, validators)
                    return
                message["headers"] = [*message.get("headers", []), *validators]
            await send(message)

        await self.app(scope, receive, send_with_validators)

    def _etag(self, scope: Scope, version: int) -> str:
        """Unique to this URL, this build and this state of the database: a client can only
        hold it from a 200 answer to the same request, so a match is safe to answer with 304."""
        url = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        digest = hashlib.blake2b(url, digest_size=8, key=self.build.encode()[:64]).hexdigest()
        return f'W/"{version}-{digest}"'


def _etag_matches(header: str, etag: str) -> bool:
    # "*" is left to the route: it means "if any representation exists", which only it knows
    tags = {t.strip() for t in header.split(",")}
    return etag in tags or etag.removeprefix("W/") in tags


def _modified_since(scope: Scope, modified: datetime) -> bool:
    """True when If-Modified-Since is a valid date at or after the last change."""
    value = _header(scope, b"if-modified-since")
    if value is None:
        return False
    try:
        since = parsedate_to_datetime(value)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    except (TypeError, ValueError, OverflowError, IndexError):
        return False  # an invalid date is ignored: RFC 9110 13.1.3


async def _not_modified(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


class NegotiatedGZipMiddleware(GZipMiddleware):
    """Starlette's gzip, but honouring ``gzip;q=0`` (and ``*;q=0``): RFC 9110 12.5.3."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not accepts_gzip(_header(scope, b"accept-encoding")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or matched by ``*``) with q > 0."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip()] = weight
    weight = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return weight > 0


def _has_header(start: Message, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in start.get("headers", []))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def add_http_middleware(
    app: FastAPI, settings: Settings, change_token: Callable[[], ChangeToken | None]
) -> None:
    """Stack the middleware; the last added runs first, so request ids cover everything,
    admission comes before any work and the validators are set on the uncompressed answer."""
    if not access_log.handlers:
        # our access line replaces uvicorn's (`corpus serve` turns that off) to carry the id
        handler = BufferedLogHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    cache_control = (
        f"public, max-age={settings.CACHE_MAX_AGE}" if settings.CACHE_MAX_AGE else "no-cache"
    )
    build = hashlib.sha256(f"{app.version} {settings.model_dump_json()}".encode()).hexdigest()
    app.add_middleware(
        ConditionalGetMiddleware,
        change_token=change_token,
        build=build,
        cache_control=cache_control,
    )
    app.add_middleware(NegotiatedGZipMiddleware, minimum_size=1024)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["ETag", "Last-Modified", "Link", "X-Request-ID"],
        )
    app.add_middleware(
        AdmissionMiddleware, slots=settings.THREADS, max_wait_s=settings.MAX_QUEUE_WAIT_MS / 1000
    )
    app.add_middleware(RequestIdMiddleware)
