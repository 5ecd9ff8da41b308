"""Caching on both sides of the wire, keyed by the database's change token: validators (ETag,
Last-Modified, 304) for clients and proxies, and a bounded in-memory cache of whole answers for
the server itself. Both are right until the next commit, and neither hashes a body."""

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.session import READ_DATABASE, ChangeToken, ReadDatabase
from app.metrics import CACHE_HITS, CACHE_MISSES
from app.web.asgi import UNCACHED_PATHS, has_header, header
from app.web.compression import accepts_gzip

_TOKEN = "app.change_token"
# our ETags: W/"<change counter>-<16 hex digits>" (ConditionalGetMiddleware._etag)
_ETAG = re.compile(r'(?:W/)?"(\d{1,18})-[0-9a-f]{16}"')


def change_token_of(scope: Scope, read: Callable[[], ChangeToken | None]) -> ChangeToken | None:
    """The database's change token for this request, read once however many layers ask (on
    PostgreSQL each read is a query): the cache's key and the validators then agree. Probes
    and scrapes get none."""
    if _TOKEN not in scope:
        scope[_TOKEN] = None if scope["path"] in UNCACHED_PATHS else read()
    token: ChangeToken | None = scope[_TOKEN]
    return token


def use_change_token(scope: Scope, token: ChangeToken) -> None:
    """Make ``token`` this request's change token: that of the read replica its reads go to
    (app.web.routing), so that the cache and the validators key the answer by what it read."""
    scope[_TOKEN] = token


def etag_versions(value: str) -> list[int]:
    """The change counters in an ``If-None-Match`` of our ETags: versions the client has seen."""
    return [int(number) for number in _ETAG.findall(value)]


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
        may_answer: Callable[[Scope], bool] | None = None,
    ) -> None:
        self.app = app
        self.change_token = change_token
        self.build = build
        self.cache_control = cache_control.encode()
        # whether a request may be answered here (a 304) before its route runs: not before
        # its read key is checked, when reads need one
        self.may_answer = may_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        token = change_token_of(scope, self.change_token)
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
        if self.may_answer is not None and not self.may_answer(scope):
            await self.app(scope, receive, send)
            return
        if_none_match = header(scope, b"if-none-match")
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
                # static files validate themselves; a route's own Cache-Control is left alone
                and not has_header(message, b"etag")
                and not has_header(message, b"cache-control")
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
    value = header(scope, b"if-modified-since")
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


@dataclass(frozen=True)
class _Answer:
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:  # bytes held, roughly: body, headers and the entry itself
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 256


class ResponseCacheMiddleware:
    """Keeps whole successful GET answers in memory until the database changes, as search
    servers keep query results until the next commit (Solr's queryResultCache, Elasticsearch's
    request cache): a repeated request is answered without a worker thread or a query. Bounded
    in bytes, least recently used out first; streamed answers (exports) and large ones are not
    kept, nor answers marked ``no-store`` or ``private`` (an ingest job's progress, which moves
    without a commit to articles)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        change_token: Callable[[], ChangeToken | None],
        max_bytes: int,
    ) -> None:
        self.app = app
        self.change_token = change_token
        self.max_bytes = max_bytes
        self.max_answer_bytes = max_bytes // 32
        self.answers: OrderedDict[tuple[object, ...], _Answer] = OrderedDict()
        self.size = 0
        self.version: int | None = None
        self.hits = self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = change_token_of(scope, self.change_token) if _cacheable_request(scope) else None
        if token is None:
            await self.app(scope, receive, send)
            return
        if token[0] != self.version:
            if self.version is not None and token[0] < self.version and _from_replica(scope):
                # a replica not yet at the newest version seen here: its answer is right for
                # its version, but neither served from the cache nor kept (nor emptying it)
                await self.app(scope, receive, send)
                return
            self.answers.clear()
            self.size, self.version = 0, token[0]
        key = _key(scope)
        answer = self.answers.get(key)
        if answer is not None:
            self.hits += 1
            CACHE_HITS.inc()
            self.answers.move_to_end(key)
            await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body})
            return
        self.misses += 1
        CACHE_MISSES.inc()
        headers: list[tuple[bytes, bytes]] | None = None
        body: list[bytes] | None = []

        async def keep(message: Message) -> None:
            nonlocal headers, body
            if message["type"] == "http.response.start":
                kept = message["status"] == 200 and not _private(message)
                # copied now: the layers above add their own (the request id) on the way out
                headers = list(message.get("headers", [])) if kept else None
            elif message["type"] == "http.response.body" and body is not None:
                body = None if message.get("more_body") else [message.get("body", b"")]
            await send(message)

        await self.app(scope, receive, keep)
        if headers is not None and body is not None and self.version == token[0]:
            self._keep(key, _Answer(headers, body[0]))

    def _keep(self, key: tuple[object, ...], answer: _Answer) -> None:
        if answer.size > self.max_answer_bytes or key in self.answers:
            return
        self.answers[key] = answer
        self.size += answer.size
        while self.size > self.max_bytes:
            _, dropped = self.answers.popitem(last=False)
            self.size -= dropped.size


def _from_replica(scope: Scope) -> bool:
    database: ReadDatabase | None = scope.get(READ_DATABASE)
    return database is not None and database.replica


def _private(start: Message) -> bool:
    """The route said not to keep the answer (``no-cache`` only means revalidate, which the
    change token does)."""
    for key, value in start.get("headers", []):
        if key.lower() == b"cache-control" and (b"no-store" in value or b"private" in value):
            return True
    return False


def _cacheable_request(scope: Scope) -> bool:
    """A plain GET without credentials: HEAD and conditional requests go on to the validators
    (a cached 200 would answer what should be a 304), and a key is checked on every request."""
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and header(scope, b"if-none-match") is None
        and header(scope, b"if-modified-since") is None
        and header(scope, b"authorization") is None
    )


def _key(scope: Scope) -> tuple[object, ...]:
    """What the answer depends on besides the database: the URL (the Link header and `next`
    are absolute, so host and scheme too), gzip or not, and the CORS origin."""
    return (
        scope["path"],
        scope.get("query_string", b""),
        scope.get("scheme"),
        scope.get("root_path", ""),
        header(scope, b"host"),
        accepts_gzip(header(scope, b"accept-encoding")),
        header(scope, b"origin"),
    )
