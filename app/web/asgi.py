"""Raw ASGI messages for the middleware, where no Request or Response object exists: read a
request header, look for a response header, answer with a problem+json."""

import json

from starlette.types import Message, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, problem_body

# probes and scrapes: never validated or cached, so they read no change token (a query on
# PostgreSQL) and always say how the process is now
UNCACHED_PATHS = frozenset({"/health", "/health/ready", "/metrics"})
# those that do no work in a worker thread: answered past the admission queue, so that a
# process busy with a backlog still says it is alive and still shows its metrics
UNQUEUED_PATHS = frozenset({"/health", "/metrics"})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def has_header(start: Message, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in start.get("headers", []))


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
