"""Which database a read goes to, where read replicas are set (``CORPUS_READ_DATABASE_URLS``):
a replica in turn, unless the request must see a corpus version it has not replayed yet.

Read-your-writes: a write's answer carries the corpus version that holds it (``Corpus-Version``
and the ``corpus_version`` cookie); a later read that sends either back (the cookie, or the
version as ``Corpus-Min-Version``) is answered by a database that has it, the primary if no
replica has yet. An ``If-None-Match`` of our ETags does the same for the version in it (a client
never gets an older answer than one it holds), and a process's own last write is a floor for
all its reads for a while (``ReadDatabases.wrote``)."""

from collections.abc import Callable

from fastapi import Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db.session import READ_DATABASE
from app.engines.changes import read_change_token
from app.engines.replicas import ReadDatabases, ReplicaState
from app.metrics import DATABASE_READS, REPLICA_LAG, REPLICA_USABLE
from app.web.asgi import UNCACHED_PATHS, header
from app.web.caching import etag_versions, use_change_token

COOKIE = "corpus_version"
VERSION_HEADER = "Corpus-Version"
MIN_VERSION_HEADER = b"corpus-min-version"
# no database behind them: never routed (readiness is, and says where it went)
_UNROUTED = frozenset({"/health", "/metrics"})
# reads that belong to a write and read the primary themselves: an ingest job's progress
_PRIMARY_PREFIXES = ("/api/v1/ingest-jobs/",)
_MAX_DIGITS = 18  # a version is a 64-bit counter; longer strings are not read as one


class ReadRoutingMiddleware:
    """Give each GET (and HEAD) the database its reads go to (``app.db.session.read_engine``)
    and, when that is a replica, the replica's change token, so that the response cache and
    the validators key the answer by what it read. Counts the reads per database."""

    def __init__(self, app: ASGIApp, *, databases: Callable[[], ReadDatabases | None]) -> None:
        self.app = app
        self.databases = databases

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        databases = (
            self.databases()
            if scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] not in _UNROUTED
            and not scope["path"].startswith(_PRIMARY_PREFIXES)
            else None
        )
        if databases is not None:
            chosen, token = databases.choose(read_floor(scope))
            scope[READ_DATABASE] = chosen
            if token is not None and scope["path"] not in UNCACHED_PATHS:
                use_change_token(scope, token)
            DATABASE_READS.labels(database=chosen.name).inc()
        await self.app(scope, receive, send)


def read_floor(scope: Scope) -> int:
    """The least corpus version this request must see: from the ``corpus_version`` cookie, the
    ``Corpus-Min-Version`` header, and the ETags of ``If-None-Match``; 0 without any."""
    versions = [0]
    for part in (header(scope, b"cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            versions.append(_version(value))
    versions.append(_version(header(scope, MIN_VERSION_HEADER) or ""))
    if (if_none_match := header(scope, b"if-none-match")) is not None:
        versions.extend(etag_versions(if_none_match))
    return max(versions)


def _version(text: str) -> int:
    text = text.strip().strip('"')
    return int(text) if text.isdigit() and len(text) <= _MAX_DIGITS else 0


def note_write(request: Request, response: Response) -> None:
    """After a write: the primary's corpus version now (it holds the write) becomes this
    process's floor and goes back to the client as ``Corpus-Version`` and a cookie, which
    lasts as long as a replica without it could still be taking reads. Nothing without
    replicas."""
    databases: ReadDatabases | None = request.app.state.read_databases
    if databases is None:
        return
    token = read_change_token(request.app.state.engine)
    if token is None:
        return
    databases.wrote(token[0])
    response.headers[VERSION_HEADER] = str(token[0])
    response.set_cookie(
        COOKIE,
        str(token[0]),
        max_age=int(databases.remember_s),
        path=request.scope.get("root_path") or "/",
        httponly=True,
        samesite="lax",
    )


def observe_replicas(states: dict[str, ReplicaState]) -> None:
    """The replicas' gauges, after each check (and a replica found gone by a request)."""
    for name, state in states.items():
        DATABASE_READS.labels(database=name)
        REPLICA_USABLE.labels(database=name).set(1 if state.usable else 0)
        if state.lag_s is not None:
            REPLICA_LAG.labels(database=name).set(state.lag_s)
