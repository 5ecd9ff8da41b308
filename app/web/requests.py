"""Request ids and the access log: every request gets an ``X-Request-ID`` and one access line,
and an error that escapes the app still gets a problem+json answer that carries the id."""

import atexit
import itertools
import logging
import os
import re
import sys
import time
from logging.handlers import QueueHandler, QueueListener
from queue import SimpleQueue
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs
from app.web.asgi import header, send_problem

access_log = logging.getLogger("app.access")
logger = logging.getLogger(__name__)
_request_id_re = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# ids made here: random per process, then counted (a uuid4 per request costs a system call)
_id_prefix = os.urandom(8).hex()
_id_counter = itertools.count(1)
# where the metrics layer leaves the request's route template for the access line
ROUTE_KEY = "app.route"


def new_request_id() -> str:
    return f"{_id_prefix}{next(_id_counter):016x}"


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
        # for the application's log lines made while this request is worked on (app.logs)
        context = logs.request_id.set(request_id)
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
            logs.request_id.reset(context)
            milliseconds = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            http = {
                "request_id": request_id,
                "method": scope["method"],
                "route": scope.get(ROUTE_KEY),  # its template (app.web.metrics)
                "path": scope["path"],
                "status": status,
                "duration_ms": round(milliseconds, 1),
                "client": client[0] if client else None,
            }
            access_log.info(
                '"%s %s" %s %.1fms id=%s',
                scope["method"],
                scope["path"],
                status,
                milliseconds,
                request_id,
                extra={"http": http},
            )


class _Enqueue(QueueHandler):
    """Puts the record on the queue as it is, not formatted first: the listener is in this
    process (nothing to pickle) and the access line's arguments are immutable, so the listener's
    thread does the formatting too, not the event loop's."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _LineWriter(logging.StreamHandler[TextIO]):
    """A StreamHandler whose stream may be closed under it (a test runner's capture, a pipe whose
    reader left): the line is lost quietly instead of a traceback on stderr for every request."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, BrokenPipeError) or getattr(self.stream, "closed", False):
            return
        super().handleError(record)


def queued_log_handler(
    stream: TextIO | None = None, log_format: str = "text"
) -> tuple[QueueHandler, QueueListener]:
    """A handler that only puts records on a queue, and a started listener that formats and
    writes them (to stderr by default) from a thread of its own, so the event loop's thread
    never writes; ``listener.stop()`` writes what is still queued."""
    records: SimpleQueue[logging.LogRecord] = SimpleQueue()
    writer = _LineWriter(stream)
    writer.setFormatter(logs.formatter(log_format))
    listener = QueueListener(records, writer)
    listener.start()
    return _Enqueue(records), listener


def configure_access_log(log_format: str = "text") -> None:
    """The application's log in this format (``app.logs``), and the access log: one line per
    request, written from a thread of its own; it replaces uvicorn's (`corpus serve` turns that
    off) to carry the request id. The first app of a process sets the format."""
    logs.configure(log_format)
    if not access_log.handlers:
        handler, listener = queued_log_handler(log_format=log_format)
        # registered after logging's own shutdown, so run before it closes the stream
        atexit.register(listener.stop)
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
