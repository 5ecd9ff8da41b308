"""Request ids and the access log: every request gets an ``X-Request-ID`` and one access line,
and an error that escapes the app still gets a problem+json answer that carries the id."""

import itertools
import logging
import os
import re
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.asgi import header, send_problem

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


def configure_access_log() -> None:
    """One line per request, written in batches; it replaces uvicorn's (`corpus serve` turns that
    off) to carry the request id."""
    if not access_log.handlers:
        handler = BufferedLogHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
