"""HTTP behaviour shared by every endpoint: request ids and the access log, admission control
under overload, HEAD, and gzip as the client asks for it (validators and the response cache are in
app.web.caching; app.main stacks them all)."""

import asyncio
import itertools
import json
import logging
import os
import re
import threading
import time
from collections import deque
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
                batch = "\n".join(self.lines) + "\n"
                self.lines.clear()
                try:
                    self.stream.write(batch)
                    self.stream.flush()
                except (ValueError, BrokenPipeError):
                    # the stream was closed under us (a test runner's capture, a pipe whose
                    # reader left): the batch is lost, the server and its flush thread go on
                    pass

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
        given = header(scope, b"x-request-id")
        request_id = given if given and _request_id_re.match(given) else new_request_id()
        started = time.perf_counter()
        # nothing answered and nothing failed: the client left first (a request dropped from
        # the queue, or cancelled), logged as nginx logs it, "client closed request"
        status = 499
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


# A forecast wait this far past the limit is refused without queueing; nearer the limit it
# queues, and the limit itself stops it if its turn does not come. Refusals take CPU from the
# work the queue waits for, so refusing near the limit slows the drain enough to confirm the
# forecast: wrk's clients, which retry at once, once got 38,432 refusals in 39,740 answers
# from a queue that held 2.5 s of work against a limit of 3 s.
_CLEARLY_PAST = 1.5
# A quick refusal still waits this long: a client that asks again at once (wrk does) would
# otherwise keep the event loop refusing, which takes the CPU from the requests in the queue
# (800 connections on the three-facet search, one worker: 139,258 refusals in 15 s, 391
# answers, 169 requests over 5 s)
_REFUSAL_PAUSE_S = 0.5
# the drain pace is a moving average over about this many intervals
_PACE_WINDOW = 64


class AdmissionMiddleware:
    """Let at most ``slots`` requests work at once and queue the others for at most
    ``max_wait_s``: a request whose turn has not come by then gets a 503 with ``Retry-After``,
    sooner (after a short pause) when the queue's pace says its wait would be well past that,
    and a queued request whose client has gone is dropped. Without this, every request past
    the worker threads waited its turn however long the queue, and went on working for clients
    that had given up."""

    def __init__(self, app: ASGIApp, *, slots: int, max_wait_s: float) -> None:
        self.app = app
        self.slots = slots
        self.max_wait_s = max_wait_s
        self.free = slots
        self.queue: deque[asyncio.Future[None]] = deque()
        # moving average (over _PACE_WINDOW requests, so one slow one does not swing it) of the
        # time between two requests leaving while others queue: how fast the queue drains, measured
        # on the queue itself, so contention inside the process cannot inflate it. It belongs to
        # one backlog: once the queue empties, the next backlog (other requests, perhaps much
        # quicker ones) is judged on its own intervals, not on the last one's
        self.drain_s = 0.001
        self.samples = 0  # intervals measured in the current backlog (the last _PACE_WINDOW)
        # slots finish in bursts (threads sharing the GIL): a pace rests on two rounds of them
        self.min_samples = min(2 * slots, _PACE_WINDOW)
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
            known = self.samples >= self.min_samples
            if known and expected_wait > self.max_wait_s * _CLEARLY_PAST:
                await asyncio.sleep(min(_REFUSAL_PAUSE_S, self.max_wait_s / 4))
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
            self.samples = min(self.samples + 1, _PACE_WINDOW)
            self.drain_s += (now - self.last_release - self.drain_s) / self.samples
        elif not self.queue:
            self.samples = 0  # the backlog is over
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


class NegotiatedGZipMiddleware(GZipMiddleware):
    """Starlette's gzip, but honouring ``gzip;q=0`` (and ``*;q=0``): RFC 9110 12.5.3."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not accepts_gzip(header(scope, b"accept-encoding")):
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


def has_header(start: Message, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in start.get("headers", []))


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def configure_access_log() -> None:
    """One line per request, written in batches; it replaces uvicorn's (`corpus serve` turns that
    off) to carry the request id."""
    if not access_log.handlers:
        handler = BufferedLogHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
