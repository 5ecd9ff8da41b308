"""The serving path under concurrency and overload: a real `corpus serve` process answering more
simultaneous requests than it has worker threads, admission control, prompt shutdown, one read
snapshot per request, and the query plans of the hot queries."""

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlmodel import Session
from starlette.types import Message, Receive, Scope, Send

from app.engines import sqlite as search
from app.engines import sqlite_dates
from app.engines.connect import create_db_engine
from app.web.admission import AdmissionMiddleware
from app.web.requests import RequestIdMiddleware
from tests.conftest import make_client
from tests.factories import make_article, make_entity, make_mention, make_quote

ROOT = Path(__file__).resolve().parents[2]
HOT_PATHS = [
    "/api/v1/search?q=huawei",
    "/api/v1/search?q=huawei&facet=source&facet=published_month&facet=entity",
    "/api/v1/articles/1",
    "/api/v1/quotes?speaker=Ren%20Zhengfei",
    "/api/v1/entities",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(seeded_db_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`corpus serve` in its own process, one worker with 4 threads, on the seeded database."""
    port = _free_port()
    env = {**os.environ, "CORPUS_DATABASE_URL": seeded_db_url, "CORPUS_THREADS": "4"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start")
    yield url, process
    process.kill()
    process.wait()


async def _fire(url: str, paths: list[str]) -> list[tuple[int, float]]:
    """Send every request at once; each answer's status and seconds."""
    limits = httpx.Limits(max_connections=len(paths))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one(path: str) -> tuple[int, float]:
            started = time.monotonic()
            response = await client.get(path)
            return response.status_code, time.monotonic() - started

        return await asyncio.gather(*(one(path) for path in paths))


class TestUnderLoad:
    def test_more_requests_than_threads_all_answered(
        self, server: tuple[str, subprocess.Popen[bytes]]
    ) -> None:
        """The deadlock this guards against: requests held pooled connections until their
        response was sent, while routes waited for connections on every worker thread."""
        url, _ = server
        answers = asyncio.run(_fire(url, HOT_PATHS * 24))  # 120 at once, 4 threads
        assert [status for status, _ in answers] == [200] * len(answers)
        assert max(seconds for _, seconds in answers) < 20
        assert httpx.get(f"{url}/health", timeout=2).status_code == 200

    def test_sigterm_stops_the_server_promptly(
        self, server: tuple[str, subprocess.Popen[bytes]]
    ) -> None:
        url, process = server
        with httpx.Client(base_url=url) as client:
            assert client.get("/api/v1/search?q=huawei").status_code == 200
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - started < 10


def _asgi_scope(path: str = "/slow") -> Scope:
    return {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}


async def _quiet() -> Message:
    """A client that stays, sends nothing more, and leaves only long after the test."""
    await asyncio.sleep(10)
    return {"type": "http.disconnect"}


class TestAdmission:
    """AdmissionMiddleware driven through the ASGI protocol, with an app that holds its slot
    until released."""

    @staticmethod
    def _app(release: asyncio.Event, calls: list[str]) -> Any:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["path"])
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        return app

    @classmethod
    async def _holding(cls, gate: AdmissionMiddleware, slots: int) -> list[asyncio.Task[Any]]:
        """Requests that take every slot (until the app is released), once they have."""
        working = [
            asyncio.create_task(cls._call(gate, _asgi_scope(), _quiet)) for _ in range(slots)
        ]
        await asyncio.sleep(0.05)
        return working

    @staticmethod
    async def _call(app: Any, scope: Scope, receive: Receive) -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent

    def test_a_full_queue_is_told_to_retry(self) -> None:
        async def scenario() -> tuple[list[Message], list[Message]]:
            release, calls = asyncio.Event(), list[str]()
            gate = AdmissionMiddleware(self._app(release, calls), slots=1, max_wait_s=0.2)

            [first] = await self._holding(gate, 1)
            refused = await self._call(gate, _asgi_scope(), _quiet)
            release.set()
            return await first, refused

        served, refused = asyncio.run(scenario())
        assert served[0]["status"] == 200
        assert refused[0]["status"] == 503
        headers = dict(refused[0]["headers"])
        assert headers[b"retry-after"] == b"1"
        assert headers[b"content-type"] == b"application/problem+json"
        assert b"/overloaded" in refused[1]["body"]

    def test_a_hopeless_wait_is_refused_without_queueing(self) -> None:
        async def scenario() -> float:
            release, calls = asyncio.Event(), list[str]()
            gate = AdmissionMiddleware(self._app(release, calls), slots=1, max_wait_s=2)
            # this backlog has been draining one request every five seconds
            gate.drain_s, gate.samples = 5.0, 64

            [first] = await self._holding(gate, 1)
            started = time.monotonic()
            refused = await self._call(gate, _asgi_scope(), _quiet)
            took = time.monotonic() - started
            assert refused[0]["status"] == 503
            release.set()
            await first
            return took

        # after a short pause (a client that asks again at once must not keep the loop busy),
        # not after the two seconds of queueing
        assert 0.4 < asyncio.run(scenario()) < 1

    @pytest.mark.parametrize(
        ("drain_s", "samples"),
        [
            (1.2, 64),  # a forecast near the limit (1 s): it queues, the limit stops it if need be
            (10.0, 3),  # a pace from fewer intervals than two rounds of the slots: not yet known
        ],
    )
    def test_a_forecast_that_is_not_clearly_past_the_limit_queues(
        self, drain_s: float, samples: int
    ) -> None:
        async def scenario() -> int:
            release, calls = asyncio.Event(), list[str]()
            gate = AdmissionMiddleware(self._app(release, calls), slots=2, max_wait_s=1)
            gate.drain_s, gate.samples = drain_s, samples

            working = await self._holding(gate, 2)
            queued = asyncio.create_task(self._call(gate, _asgi_scope(), _quiet))
            await asyncio.sleep(0.1)
            assert not queued.done()  # neither refused at once nor run
            release.set()
            await asyncio.gather(*working)
            status: int = (await queued)[0]["status"]
            return status

        assert asyncio.run(scenario()) == 200

    def test_a_pace_is_known_with_many_slots_too(self) -> None:
        """Two rounds of 40 slots are more intervals than the pace keeps: a full window is
        enough, or no refusal would ever be quick."""

        async def scenario() -> int:
            release, calls = asyncio.Event(), list[str]()
            gate = AdmissionMiddleware(self._app(release, calls), slots=40, max_wait_s=1)
            gate.drain_s, gate.samples = 5.0, 64  # as many intervals as are kept

            working = await self._holding(gate, 40)
            refused = await asyncio.wait_for(self._call(gate, _asgi_scope(), _quiet), 0.5)
            release.set()
            await asyncio.gather(*working)
            status: int = refused[0]["status"]
            return status

        assert asyncio.run(scenario()) == 503

    def test_a_new_backlog_is_not_judged_on_the_last_ones_pace(self) -> None:
        async def scenario() -> list[int]:
            calls: list[str] = []
            gate = AdmissionMiddleware(self._quick_app(calls), slots=1, max_wait_s=0.5)
            gate.drain_s, gate.samples = 0.4, 64  # slow requests were queueing a moment ago
            gate._release()  # and the last one left with the queue empty

            # a burst of quick requests: twice the old pace's worth of queue, all served
            answers = await asyncio.gather(
                *(self._call(gate, _asgi_scope(), _quiet) for _ in range(8))
            )
            return [answer[0]["status"] for answer in answers]

        assert asyncio.run(scenario()) == [200] * 8

    @staticmethod
    def _quick_app(calls: list[str]) -> Any:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["path"])
            await asyncio.sleep(0.01)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        return app

    def test_a_queued_request_whose_client_left_is_dropped(self) -> None:
        async def scenario() -> tuple[list[str], list[Message]]:
            release, calls = asyncio.Event(), list[str]()
            gate = AdmissionMiddleware(self._app(release, calls), slots=1, max_wait_s=5)

            messages: list[Message] = [
                {"type": "http.request", "body": b"", "more_body": False},
                {"type": "http.disconnect"},
            ]

            async def leaving() -> Message:
                await asyncio.sleep(0.05)
                return messages.pop(0)

            first = asyncio.create_task(self._call(gate, _asgi_scope("/first"), _quiet))
            await asyncio.sleep(0.02)
            gone = await self._call(gate, _asgi_scope("/gone"), leaving)
            release.set()
            await first
            after = await self._call(gate, _asgi_scope("/after"), _quiet)
            assert after[0]["status"] == 200  # the slot was not lost
            return calls, gone

        calls, gone = asyncio.run(scenario())
        assert calls == ["/first", "/after"] and gone == []


def test_an_error_escaping_the_app_is_a_problem_with_a_request_id() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async def scenario() -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        await RequestIdMiddleware(broken)(_asgi_scope(), receive, send)
        return sent

    sent = asyncio.run(scenario())
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 500 and b"x-request-id" in headers
    assert headers[b"content-type"] == b"application/problem+json"


def test_a_request_whose_client_left_is_logged_as_499(caplog: pytest.LogCaptureFixture) -> None:
    """A request dropped from the queue because its client left sends nothing: its access line
    must not say 500, which would read as a server error."""

    async def dropped(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    async def scenario() -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.disconnect"}

        await RequestIdMiddleware(dropped)(_asgi_scope(), receive, send)
        return sent

    with caplog.at_level(logging.INFO, logger="app.access"):
        assert asyncio.run(scenario()) == []
    assert '"GET /slow" 499 ' in caplog.text


def test_a_page_and_its_total_read_one_snapshot(seeded_db_url: str) -> None:
    reader = create_db_engine(seeded_db_url, read_only=True)
    with Session(reader) as session:
        before = session.execute(text("SELECT count(*) FROM article")).scalar_one()
        writer = create_db_engine(seeded_db_url)
        with writer.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO article (source_id, title, body, word_count, content_hash, "
                    "ingested_at) VALUES ('x', 'x', 'x', 1, 'x', '2026-01-01')"
                )
            )
        writer.dispose()
        after = session.execute(text("SELECT count(*) FROM article")).scalar_one()
    assert after == before
    reader.dispose()


def test_too_costly_queries_are_a_clear_400(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "a* " * 160})
    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/search-too-costly") and "2 characters" in body["detail"]


class TestDateOrder:
    @pytest.fixture
    def uncached(self, db_url: str) -> Iterator[TestClient]:
        """A client that answers every request anew: each plan is asked for the same pages."""
        with make_client(db_url, RESPONSE_CACHE_MB=0) as client:
            yield client

    def test_walking_the_date_index_gives_the_same_pages(
        self, uncached: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        client = uncached
        from datetime import date

        for n in range(30):
            day = None if n % 7 == 0 else date(2020, 1 + n % 12, 1 + n % 27)
            make_article(session, body=f"Harbour report {n}.", published=day)
        make_article(session, body="Nothing here.")

        def pages() -> list[list[int]]:
            return [
                [
                    hit["id"]
                    for hit in client.get(
                        "/api/v1/search",
                        params={"q": "harbour", "sort": "-published", "limit": 8, "offset": o},
                    ).json()["items"]
                ]
                for o in range(0, 32, 8)
            ]

        sorted_in_memory = pages()
        monkeypatch.setattr(sqlite_dates, "DATE_WALK_MIN_HITS", 0)
        walked = pages()
        assert walked == sorted_in_memory and sum(map(len, walked)) == 30
        # probing row by row: enough rows for every page, then too few for the deeper ones
        monkeypatch.setattr(sqlite_dates, "DATE_PROBE_MIN_HITS", 0)
        for rows in (100, 12):
            monkeypatch.setattr(sqlite_dates, "DATE_PROBE_ROWS", rows)
            assert pages() == sorted_in_memory

    def test_probing_row_by_row_gives_the_same_pages(
        self, uncached: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Newer articles that do not match, a filter, a phrase and a prefix (never probed)."""
        client = uncached
        from datetime import date

        for n in range(24):
            source = "Coast Herald" if n % 3 else "Inland Post"
            body = f"Tide tables for the harbour wall {n}."
            make_article(session, body=body, source=source, published=date(2019, 1 + n % 12, 2))
        for n in range(10):
            make_article(session, body=f"Market prices {n}.", published=date(2021, 3, 1 + n))

        def pages(params: dict[str, Any]) -> list[list[int]]:
            return [
                [
                    hit["id"]
                    for hit in client.get(
                        "/api/v1/search",
                        params={**params, "sort": "-published", "limit": 5, "offset": o},
                    ).json()["items"]
                ]
                for o in range(0, 25, 5)
            ]

        shapes = [
            {"q": "harbour"},
            {"q": "harbour", "source": "Coast Herald"},
            {"q": '"harbour wall"'},
            {"q": "harb*"},
            {"q": "harbour -prices"},
        ]
        expected = [pages(shape) for shape in shapes]
        assert sum(map(len, expected[0])) == 24 and sum(map(len, expected[1])) == 16
        monkeypatch.setattr(sqlite_dates, "DATE_PROBE_MIN_HITS", 0)
        for rows in (200, 20, 1):
            monkeypatch.setattr(sqlite_dates, "DATE_PROBE_ROWS", rows)
            assert [pages(shape) for shape in shapes] == expected


def _plans(url: str, paths: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The query plan of every statement the API runs for each path, through SQLAlchemy or
    straight on the search module's cursor."""
    statements: list[tuple[str, Any]] = []
    run = search._run

    def run_recorded(session: Session, sql: str, params: dict[str, Any]) -> sqlite3.Cursor:
        statements.append((sql, params))
        return run(session, sql, params)

    monkeypatch.setattr(search, "_run", run_recorded)
    client = make_client(url)
    with client:
        engine = client.app.state.engine  # type: ignore[attr-defined]

        @event.listens_for(engine, "before_cursor_execute")
        def capture(*args: Any) -> None:
            statements.append((args[2], args[3]))

        plans: dict[str, list[str]] = {}
        for path in paths:
            statements.clear()
            assert client.get(path).status_code == 200
            with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
                plans[path] = [
                    row[3]
                    for sql, params in statements
                    if sql.lstrip().upper().startswith("SELECT")
                    for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                ]
    return plans


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
def test_hot_queries_use_their_indexes(
    db_url: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    people = [make_entity(session, name=f"Speaker {n}") for n in range(3)]
    for n in range(40):
        article = make_article(
            session,
            body=f"Harbour news {n}.",
            source="A" if n % 2 else "B",
            published=date(2020, 1, 1 + n % 28),
        )
        make_mention(session, article, people[n % 3])
        make_quote(session, article, speaker=f"Speaker {n % 10}", speaker_text="she")
    plans = _plans(
        db_url,
        [
            "/api/v1/search?q=harbour",
            "/api/v1/search?q=harbour&source=A",
            "/api/v1/search?q=harbour&facet=source&facet=entity",
            "/api/v1/quotes?speaker=speaker%201",
            "/api/v1/articles?sort=-published",
            "/api/v1/articles/3",
            "/api/v1/entities?q=speaker%201",
            "/api/v1/quotes?q=build",
            f"/api/v1/entities/{people[0].id}",
            "/api/v1/search?q=harbour&format=ndjson",
            "/api/v1/search?q=harb*&sort=-published",
        ],
        monkeypatch,
    )
    search_plan = plans["/api/v1/search?q=harbour"]
    # the page is kept by SQLite's top-N sorter over (rank, rowid), not by FTS5's sort of
    # every match by rank ("INDEX 32:"), which cost more; the total is a count of its own
    assert any("USE TEMP B-TREE FOR ORDER BY" in step for step in search_plan), search_plan
    assert not any("VIRTUAL TABLE INDEX 32:" in step for step in search_plan), search_plan
    # the matches are found twice (the count, the page), then the page's ids are marked
    assert sum(step.startswith("SCAN article_fts") for step in search_plan) == 3, search_plan
    assert sum(":=" in step for step in search_plan) == 1, search_plan
    filtered = plans["/api/v1/search?q=harbour&source=A"]
    assert any("COVERING INDEX ix_article_facets" in step for step in filtered)
    assert not any(step.split()[:2] == ["SCAN", "a"] for step in filtered)
    faceted = plans["/api/v1/search?q=harbour&facet=source&facet=entity"]
    assert not any("mention" in step for step in faceted)  # counted from entity_ids
    quotes = plans["/api/v1/quotes?speaker=speaker%201"]
    assert any("ix_quote_speaker_key" in step for step in quotes)
    assert any("ix_quote_speaker_text_key" in step for step in quotes)
    assert not any(step.split()[:2] == ["SCAN", "quote"] for step in quotes)
    assert any("ix_article_published" in step for step in plans["/api/v1/articles?sort=-published"])
    assert any("INTEGER PRIMARY KEY" in step for step in plans["/api/v1/articles/3"])
    # full-text conditions on quotes and entities look rows up by the index's ids, rather than
    # walking the table and testing each row (what "… IN (…) = 1" made SQLite do)
    for path, table in (
        ("/api/v1/entities?q=speaker%201", "entity"),
        ("/api/v1/quotes?q=build", "quote"),
    ):
        # (by the primary key, or for entities by the index that leaves merged ones out)
        assert any(
            step.startswith(f"SEARCH {table} USING") and "rowid=?" in step for step in plans[path]
        ), plans[path]
        assert not any(step.split()[:2] == ["SCAN", table] for step in plans[path]), plans[path]
    # the export streams in FTS5's order: no sort of marked rows before the first line
    exported = plans["/api/v1/search?q=harbour&format=ndjson"]
    assert not any("TEMP B-TREE" in step for step in exported), exported
    # a prefix's page in date order is not looked up id by id (":=": FTS5's rowid lookup),
    # which would expand the prefix again for each id
    by_date = plans["/api/v1/search?q=harb*&sort=-published"]
    assert any("VIRTUAL TABLE INDEX 0:M" in step for step in by_date), by_date
    assert not any(":=" in step for step in by_date), by_date
    # an entity's page reads its articles' months and entity ids from the covering index,
    # neither the rows that hold whole bodies nor every mention of those articles
    entity_page = plans[f"/api/v1/entities/{people[0].id}"]
    assert any("COVERING INDEX ix_article_facets" in step for step in entity_page), entity_page
    assert not any("SCAN mention" in step for step in entity_page), entity_page
