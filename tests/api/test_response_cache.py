"""The in-memory response cache: a repeated GET is answered without a query until the next
write, its answers are those the routes would give, and it stays within its memory bound."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session
from starlette.types import Message, Receive, Scope, Send

from app.db.session import ChangeToken
from app.web.caching import ResponseCacheMiddleware
from tests.conftest import make_client
from tests.factories import make_article

KEY = "a-key-long-enough-to-be-accepted-0123456789"


class Statements:
    """Counts the SQL statements the app's read engine runs, and the connections it hands out
    (SQLite's search runs its statements on the connection, past SQLAlchemy's events)."""

    def __init__(self, client: TestClient) -> None:
        self.count = 0
        engine = client.app.state.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "checkout", self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


@pytest.fixture
def cached(db_url: str) -> Iterator[TestClient]:
    with make_client(db_url, RESPONSE_CACHE_MB=8) as client:
        yield client


def test_a_repeated_get_runs_no_query_until_the_next_write(
    cached: TestClient, session: Session
) -> None:
    article = make_article(session, title="Harbour council votes")
    statements = Statements(cached)
    first = cached.get(f"/api/v1/articles/{article.id}")
    after_first = statements.count
    assert first.status_code == 200 and after_first > 0
    again = cached.get(f"/api/v1/articles/{article.id}")
    assert statements.count == after_first  # answered from memory
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert "," not in again.headers["x-request-id"]  # its own id only
    article.title = "Harbour council vote delayed"
    session.add(article)
    session.commit()
    changed = cached.get(f"/api/v1/articles/{article.id}")
    assert changed.json()["title"] == "Harbour council vote delayed"
    assert changed.headers["etag"] != first.headers["etag"]


def test_what_the_answer_depends_on_is_part_of_the_key(
    cached: TestClient, session: Session
) -> None:
    for n in range(30):
        make_article(session, body=f"Harbour story {n}. " + "The council met. " * 40)
    plain = cached.get("/api/v1/search?q=harbour&limit=5", headers={"Accept-Encoding": "identity"})
    zipped = cached.get("/api/v1/search?q=harbour&limit=5", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    elsewhere = cached.get("/api/v1/search?q=harbour&limit=5", headers={"Host": "example.org"})
    assert elsewhere.json()["next"].startswith("http://example.org/")
    assert (
        cached.get("/api/v1/search?q=harbour&limit=5")
        .json()["next"]
        .startswith("http://testserver/")
    )
    raw = cached.get(
        "/api/v1/search?q=harbour&limit=5", headers={"Accept-Encoding": "identity"}
    ).content
    assert raw == plain.content == zipped.content  # httpx has undone the gzip


def test_conditional_requests_and_head_still_get_their_own_answers(
    cached: TestClient, session: Session
) -> None:
    make_article(session)
    first = cached.get("/api/v1/articles")
    cached.get("/api/v1/articles")  # now cached
    revalidated = cached.get("/api/v1/articles", headers={"If-None-Match": first.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""
    head = cached.head("/api/v1/articles")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == first.headers["etag"]


def test_errors_and_exports_are_not_kept(cached: TestClient, session: Session) -> None:
    make_article(session, title="Harbour council votes")
    statements = Statements(cached)
    for path in ("/api/v1/articles/999", "/api/v1/search?q=harbour&format=ndjson"):
        cached.get(path)
        before = statements.count
        cached.get(path)
        assert statements.count > before, path


def test_a_key_is_checked_on_every_request(db_url: str, session: Session) -> None:
    make_article(session)
    with make_client(db_url, API_KEYS=[KEY], READ_REQUIRES_KEY=True) as closed:
        allowed = closed.get("/api/v1/articles", headers={"Authorization": f"Bearer {KEY}"})
        assert allowed.status_code == 200
        assert closed.get("/api/v1/articles").status_code == 401


def test_ingest_progress_is_never_reused(db_url: str) -> None:
    with make_client(db_url, API_KEYS=[KEY]) as writer:
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/x-ndjson"}
        line = b'{"title": "Harbour council votes", "body": "The council met on Tuesday."}\n'
        started = writer.post("/api/v1/articles", content=line * 2, headers=headers)
        assert started.status_code == 202
        progress = writer.get(started.headers["location"], headers=headers)
        assert progress.headers["cache-control"] == "no-store"
        assert "etag" not in progress.headers


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    body = scope["path"].encode() * 100
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_memory_stays_within_the_bound_least_recently_used_out_first() -> None:
    version: list[ChangeToken] = []
    cache = ResponseCacheMiddleware(_answer, change_token=lambda: version[-1], max_bytes=64_000)
    version.append((1, datetime.now(UTC)))

    async def get(path: str) -> None:
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}

        async def receive() -> Message:
            return {"type": "http.request"}

        async def send(message: Message) -> None:
            pass

        await cache(scope, receive, send)

    async def scenario() -> None:
        await get("/kept-warm")
        for n in range(200):
            await get(f"/page/{n:04d}")
            await get("/kept-warm")
            assert cache.size <= cache.max_bytes

    asyncio.run(scenario())
    paths = [key[0] for key in cache.answers]
    assert "/kept-warm" in paths and "/page/0000" not in paths and "/page/0199" in paths
    assert cache.hits >= 199
    version.append((2, datetime.now(UTC)))
    asyncio.run(get("/page/0199"))
    assert [key[0] for key in cache.answers] == ["/page/0199"]  # a write emptied it


def test_the_change_token_is_read_once_per_request(cached: TestClient, session: Session) -> None:
    make_article(session)
    reader = cached.app.state.change_token  # type: ignore[attr-defined]
    reads: list[object] = []

    def counted() -> object:
        reads.append(reader())
        return reads[-1]

    cached.app.state.change_token = counted  # type: ignore[attr-defined]
    try:
        for expected, path in enumerate(["/api/v1/articles", "/api/v1/articles"], start=1):
            assert cached.get(path).status_code == 200  # a miss, then a hit
            assert len(reads) == expected
    finally:
        cached.app.state.change_token = reader  # type: ignore[attr-defined]
