"""HTTP behaviour on every GET: request ids, conditional requests, caching headers, gzip, CORS
and the Link header of paged lists."""

import gzip
import io
import logging
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.web.requests import new_request_id, queued_log_handler
from tests.factories import make_article


class TestRequestId:
    def test_generated_when_absent_and_echoed_when_sane(self, client: TestClient) -> None:
        generated = client.get("/health").headers["x-request-id"]
        assert len(generated) == 32
        echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        hostile = client.get("/health", headers={"X-Request-ID": "a b\\c" * 30})
        assert hostile.headers["x-request-id"] != "a b\\c" * 30

    def test_errors_carry_it_too(self, client: TestClient) -> None:
        assert "x-request-id" in client.get("/api/v1/articles/99").headers


class TestConditionalGet:
    def test_etag_and_304(self, client: TestClient, session: Session) -> None:
        make_article(session)
        first = client.get("/api/v1/articles")
        etag = first.headers["etag"]
        assert etag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
        again = client.get("/api/v1/articles", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        make_article(session)
        changed = client.get("/api/v1/articles", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag

    def test_last_modified_is_the_last_change(self, client: TestClient, session: Session) -> None:
        make_article(session)
        response = client.get("/api/v1/entities")
        modified = parsedate_to_datetime(response.headers["last-modified"])
        assert abs(modified.timestamp() - time.time()) < 5
        later = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
        assert (
            client.get("/api/v1/entities", headers={"If-Modified-Since": later}).status_code == 304
        )
        earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
        assert (
            client.get("/api/v1/entities", headers={"If-Modified-Since": earlier}).status_code
            == 200
        )

    @pytest.mark.parametrize(
        "date",
        [
            "Mon, 01 Jan 99999999999 00:00:00 GMT",
            "Mon, 01 Jan 0000 00:00:00 GMT",
            "Mon, 99 Foo 2020 99:99:99 GMT",
            "yesterday",
            "",
        ],
    )
    def test_invalid_if_modified_since_is_ignored(self, client: TestClient, date: str) -> None:
        response = client.get("/api/v1/articles", headers={"If-Modified-Since": date})
        assert response.status_code == 200 and "x-request-id" in response.headers

    def test_if_modified_since_does_not_hide_errors(self, client: TestClient) -> None:
        later = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
        missing = client.get("/api/v1/articles/99", headers={"If-Modified-Since": later})
        assert missing.status_code == 404
        invalid = client.get("/api/v1/articles?limit=0", headers={"If-Modified-Since": later})
        assert invalid.status_code == 422

    def test_etag_belongs_to_one_url(self, client: TestClient, session: Session) -> None:
        make_article(session)
        etag = client.get("/api/v1/articles").headers["etag"]
        assert client.get("/api/v1/articles?limit=1").headers["etag"] != etag
        other = client.get("/api/v1/articles/99", headers={"If-None-Match": etag})
        assert other.status_code == 404
        star = client.get("/api/v1/articles/99", headers={"If-None-Match": "*"})
        assert star.status_code == 404

    def test_etag_changes_with_any_write(self, client: TestClient, session: Session) -> None:
        article = make_article(session)
        etag = client.get(f"/api/v1/articles/{article.id}").headers["etag"]
        article.author = "Someone Else"
        session.add(article)
        session.commit()
        again = client.get(f"/api/v1/articles/{article.id}", headers={"If-None-Match": etag})
        assert again.status_code == 200 and again.json()["author"] == "Someone Else"

    def test_errors_are_not_cached(self, client: TestClient) -> None:
        response = client.get("/api/v1/articles/99")
        assert "etag" not in response.headers

    def test_max_age_is_a_setting(self, db_url: str) -> None:
        with TestClient(create_app(Settings(DATABASE_URL=db_url, CACHE_MAX_AGE=300))) as client:
            stats = client.get("/api/v1/stats")
            assert stats.headers["cache-control"] == "public, max-age=300"


def test_large_responses_are_gzipped(client: TestClient, session: Session) -> None:
    for _ in range(5):
        make_article(session, body="Long text about harbours. " * 100)
    response = client.get("/api/v1/articles", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["items"]) == 5  # httpx decodes it transparently
    small = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    assert gzip.compress(b"x")  # the stdlib codec the clients use


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("gzip;q=0.5, identity", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("*;q=0", False),
        ("br, *;q=0", False),
        ("identity", False),
        ("gzip;q=zero", False),
    ],
)
def test_gzip_follows_the_q_values(
    client: TestClient, session: Session, accept: str, gzipped: bool
) -> None:
    make_article(session, body="Long text about harbours. " * 100)
    response = client.get("/api/v1/articles", headers={"Accept-Encoding": accept})
    assert (response.headers.get("content-encoding") == "gzip") is gzipped


def test_cors_only_for_configured_origins(db_url: str) -> None:
    settings = Settings(DATABASE_URL=db_url, CORS_ORIGINS=["https://newsroom.example"])
    with TestClient(create_app(settings)) as client:
        allowed = client.get("/health", headers={"Origin": "https://newsroom.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://newsroom.example"
        other = client.get("/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(Settings(DATABASE_URL=db_url))) as client:
        default = client.get("/health", headers={"Origin": "https://newsroom.example"})
        assert "access-control-allow-origin" not in default.headers


def test_link_header_points_to_the_next_page(client: TestClient, session: Session) -> None:
    for _ in range(3):
        make_article(session)
    first = client.get("/api/v1/articles?limit=2")
    assert first.headers["link"] == f'<{first.json()["next"]}>; rel="next"'
    last = client.get(first.json()["next"])
    assert "link" not in last.headers


def test_head_is_get_without_a_body(client: TestClient, session: Session) -> None:
    make_article(session)
    get = client.get("/api/v1/articles")
    head = client.head("/api/v1/articles")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_304_keeps_vary_and_static_files_keep_their_own_etag(client: TestClient) -> None:
    first = client.get("/api/v1/stats")
    again = client.get("/api/v1/stats", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["vary"] == "Accept-Encoding"
    asset = client.get("/static-offline-docs/swagger-ui.css")
    assert len(asset.headers.get_list("etag")) == 1


@pytest.mark.sqlite_only  # SQLite's progress handler, checked every VM step
def test_exports_stop_at_their_time_limit(
    db_url: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.engines import sqlite as search

    for _ in range(3):
        make_article(session)
    monkeypatch.setattr(search, "_PROGRESS_STEPS", 1)
    with TestClient(create_app(Settings(DATABASE_URL=db_url, EXPORT_TIMEOUT_MS=0))) as client:
        response = client.get("/api/v1/articles?format=ndjson")
    assert response.status_code == 200 and response.text == ""  # cut short, not a 500


def _log_through(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"tests.access-log.{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False
    return logger


_line_re = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (.*)$")


def _messages(text: str) -> list[str]:
    """The lines' messages, once each line is checked to be ``<asctime> <message>``."""
    matches = [_line_re.match(line) for line in text.splitlines()]
    assert all(matches), text
    return [match.group(1) for match in matches if match]


def test_the_access_log_writes_every_line_in_order_by_the_time_it_stops() -> None:
    stream = io.StringIO()
    handler, listener = queued_log_handler(stream)
    logger = _log_through(handler)

    def log_lines(thread: int) -> None:
        for n in range(120):
            logger.warning("thread %d line %d", thread, n)

    threads = [threading.Thread(target=log_lines, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listener.stop()
    messages = _messages(stream.getvalue())
    assert len(messages) == 480
    for t in range(4):
        mine = [message for message in messages if message.startswith(f"thread {t} ")]
        assert mine == [f"thread {t} line {n}" for n in range(120)]


def test_an_access_line_is_written_without_waiting_for_more() -> None:
    stream = io.StringIO()
    handler, listener = queued_log_handler(stream)
    try:
        _log_through(handler).warning("a quiet server's only request")
        deadline = time.monotonic() + 5
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _messages(stream.getvalue()) == ["a quiet server's only request"]
    finally:
        listener.stop()


def test_logging_a_request_never_waits_for_the_stream() -> None:
    """The event loop's thread only queues the line: a stream that blocks (a full pipe) holds
    up the writer's thread, not the requests."""

    class Stuck(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.unblocked = threading.Event()

        def write(self, text: str) -> int:
            self.unblocked.wait(10)
            return super().write(text)

    stream = Stuck()
    handler, listener = queued_log_handler(stream)
    logger = _log_through(handler)
    started = time.monotonic()
    for n in range(300):
        logger.warning("line %d", n)
    assert time.monotonic() - started < 2 and stream.getvalue() == ""
    stream.unblocked.set()
    listener.stop()
    assert _messages(stream.getvalue()) == [f"line {n}" for n in range(300)]


def test_a_closed_stream_loses_the_line_but_not_the_writer_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Watched(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.tried = threading.Event()

        def write(self, text: str) -> int:
            self.tried.set()
            return super().write(text)  # ValueError once closed

    stream = Watched()
    handler, listener = queued_log_handler(stream)
    logger = _log_through(handler)
    stream.close()
    logger.warning("lost")
    assert stream.tried.wait(5)
    writer = listener.handlers[0]
    assert isinstance(writer, logging.StreamHandler)
    # the write ran under the handler's lock, which setStream takes too: "lost" is done with
    writer.setStream(replacement := io.StringIO())
    logger.warning("after")
    listener.stop()
    assert _messages(replacement.getvalue()) == ["after"]
    assert capsys.readouterr().err == ""  # no traceback for the lost line


def test_the_access_log_is_written_out_when_the_process_exits() -> None:
    script = (
        "from app.web.requests import access_log, configure_access_log\n"
        "configure_access_log()\n"
        "access_log.info('last request before exit')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert _messages(done.stderr) == ["last request before exit"]


def test_generated_request_ids_are_distinct() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000 and {len(i) for i in ids} == {32}
