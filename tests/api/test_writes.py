"""The write API: API keys (401 problem+json, constant-time check, never logged), one article
(201/200, re-extraction, 422 naming the field), NDJSON batches as jobs, deletes."""

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engines.connect import create_db_engine
from app.web.auth import key_is_valid
from tests.conftest import make_client

KEY = "k-7f3c9a1e5b2d4f6a8c0e"
AUTH = {"Authorization": f"Bearer {KEY}"}
STORY = {
    "id": "vote-1",
    "title": "Council vote",
    "body": 'Maria Lopez said: "We have won the vote." The council met on Monday.',
    "published": "2024-05-06",
}


@pytest.fixture
def writer(db_url: str) -> Iterator[TestClient]:
    with make_client(db_url, API_KEYS=[KEY, "second-key"]) as client:
        yield client


def count(db_url: str, table: str = "article") -> int:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].endswith(slug)
    return body


class TestKeys:
    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}],
        ids=["none", "wrong", "not-bearer"],
    )
    def test_without_a_valid_key_nothing_changes(
        self, writer: TestClient, db_url: str, headers: dict[str, str]
    ) -> None:
        response = writer.post("/api/v1/articles", json=STORY, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert_problem(writer.delete("/api/v1/articles/1", headers=headers), 401, "unauthorized")
        assert count(db_url) == 0

    def test_writes_are_off_without_configured_keys(self, client: TestClient, db_url: str) -> None:
        response = client.post("/api/v1/articles", json=STORY, headers=AUTH)
        assert_problem(response, 403, "writes-disabled")
        assert count(db_url) == 0

    def test_every_configured_key_works(self) -> None:
        assert key_is_valid("b", ["a", "b"]) and key_is_valid("a", ["a", "b"])
        assert not key_is_valid("", ["a"]) and not key_is_valid("a", [])
        assert not key_is_valid("ab", ["a"]) and not key_is_valid("é", ["e"])

    def test_keys_are_never_logged_or_echoed(
        self, writer: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        wrong = {"Authorization": "Bearer wrong-secret-value"}
        answers = [
            writer.post("/api/v1/articles", json=STORY, headers=wrong),
            writer.post("/api/v1/articles", json=STORY, headers=AUTH),
            writer.post("/api/v1/articles", json={"body": 3}, headers=AUTH),
        ]
        for secret in (KEY, "wrong-secret-value"):
            assert all(secret not in r.text for r in answers)
            assert all(secret not in record.getMessage() for record in caplog.records)

    def test_reads_are_open_unless_configured(self, writer: TestClient, db_url: str) -> None:
        assert writer.get("/api/v1/articles").status_code == 200
        with make_client(db_url, API_KEYS=[KEY], READ_REQUIRES_KEY=True) as closed:
            assert_problem(closed.get("/api/v1/articles"), 401, "unauthorized")
            assert closed.get("/api/v1/articles", headers=AUTH).status_code == 200
            assert closed.get("/health").status_code == 200

    def test_the_security_scheme_is_documented(self, writer: TestClient) -> None:
        schema = writer.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["ApiKey"] == {
            "type": "http",
            "scheme": "bearer",
            "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
        }
        post = schema["paths"]["/api/v1/articles"]["post"]
        assert post["security"] == [{"ApiKey": []}]
        assert set(post["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
        assert "security" not in schema["paths"]["/api/v1/articles"]["get"]


class TestOneArticle:
    def test_new_same_and_changed(self, writer: TestClient, db_url: str) -> None:
        etag = writer.get("/api/v1/articles").headers["etag"]
        created = writer.post("/api/v1/articles", json=STORY, headers=AUTH)
        assert writer.get("/api/v1/articles").headers["etag"] != etag  # caches see the write
        assert created.status_code == 201, created.text
        article = created.json()
        assert created.headers["location"] == f"/api/v1/articles/{article['id']}"
        assert [q["speaker"] for q in article["quotes"]] == ["Maria Lopez"]
        assert writer.get(created.headers["location"]).json()["title"] == "Council vote"

        again = writer.post("/api/v1/articles", json=STORY, headers=AUTH)
        assert again.status_code == 200 and again.json()["id"] == article["id"]
        same_text = writer.post("/api/v1/articles", json={**STORY, "id": "other"}, headers=AUTH)
        assert same_text.status_code == 200 and same_text.json()["id"] == article["id"]
        assert count(db_url) == 1

        changed = {**STORY, "body": 'Peter Brandt said: "We lost the vote." It was close.'}
        updated = writer.post("/api/v1/articles", json=changed, headers=AUTH)
        assert updated.status_code == 200 and updated.json()["id"] == article["id"]
        assert [q["speaker"] for q in updated.json()["quotes"]] == ["Peter Brandt"]
        assert count(db_url) == 1 and count(db_url, "quote") == 1

    @pytest.mark.parametrize(
        ("payload", "loc", "message"),
        [
            ({**STORY, "title": ["a", "b"]}, ["body", "title"], "valid string"),
            ({**STORY, "id": ["x"]}, ["body", "id"], "valid string"),
            ({"id": "n", "body": 42}, ["body", "body"], "valid string"),
            ({"id": "m", "title": "No body"}, ["body", "body"], "missing body"),
            ({"id": "s", "body": "x"}, ["body", "body"], "too short"),
            ({**STORY, "published": "May 6"}, ["body", "published"], "not ISO 8601"),
            ([STORY], ["body"], "expected an object"),
        ],
    )
    def test_a_bad_record_is_a_422_naming_the_field(
        self, writer: TestClient, db_url: str, payload: Any, loc: list[str], message: str
    ) -> None:
        response = writer.post("/api/v1/articles", json=payload, headers=AUTH)
        body = assert_problem(response, 422, "validation-error")
        [error] = body["errors"]
        assert error["loc"] == loc and message in error["msg"]
        assert count(db_url) == 0

    def test_a_whole_page_in_the_body_is_read_as_files_are(self, writer: TestClient) -> None:
        from tests.ingest.conftest import page

        html = page(
            "Harbour reopens",
            ['Ana Ruiz said: "The harbour is open again." Ships returned on Monday.'],
            author="Lee Park",
            published="2024-03-04",
        )
        created = writer.post("/api/v1/articles", json={"id": "p1", "body": html}, headers=AUTH)
        assert created.status_code == 201, created.text
        article = created.json()
        assert (article["title"], article["author"], article["published"]) == (
            "Harbour reopens",
            "Lee Park",
            "2024-03-04",
        )
        assert "cookies" not in article["body"] and "<p>" not in article["body"]
        assert [q["speaker"] for q in article["quotes"]] == ["Ana Ruiz"]
        # the record's own fields win over the page's, and the record names the article:
        # pages of one site may share a canonical URL
        canonical = '<link rel="canonical" href="https://example.org/">'
        for n, text in enumerate(["The council met.", "The harbour wall held."]):
            story = page(f"Story {n}", [text * 3]).replace("<head>", f"<head>{canonical}")
            record = {"body": story, **({"title": "Own title"} if n else {})}
            answer = writer.post("/api/v1/articles", json=record, headers=AUTH)
            assert answer.status_code == 201, answer.text
            assert answer.json()["title"] == ("Own title" if n else "Story 0")
        empty = page("Nothing here", [])
        refused = writer.post("/api/v1/articles", json={"id": "p2", "body": empty}, headers=AUTH)
        [error] = assert_problem(refused, 422, "validation-error")["errors"]
        assert error["loc"] == ["body", "body"] and "no article text" in error["msg"]

    def test_invalid_json(self, writer: TestClient) -> None:
        response = writer.post(
            "/api/v1/articles",
            content=b'{"body": ',
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert "invalid JSON" in assert_problem(response, 422, "validation-error")["detail"]

    def test_too_large(self, db_url: str) -> None:
        with make_client(db_url, API_KEYS=[KEY], MAX_WRITE_BYTES=100) as small:
            response = small.post(
                "/api/v1/articles", json={**STORY, "body": "x" * 200}, headers=AUTH
            )
        assert_problem(response, 413, "payload-too-large")


class TestBatch:
    def test_ndjson_runs_as_a_job(self, writer: TestClient, db_url: str) -> None:
        lines = [
            json.dumps({"id": f"b{n}", "body": f"Story number {n} about the harbour wall."})
            for n in range(5)
        ]
        response = writer.post(
            "/api/v1/articles",
            content="\n".join(lines).encode(),
            headers={**AUTH, "Content-Type": "application/x-ndjson"},
        )
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        assert location == f"/api/v1/ingest-jobs/{response.json()['id']}"
        status: dict[str, Any] = {}
        for _ in range(200):  # bounded polling: at most 20 s
            status = writer.get(location, headers=AUTH).json()
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert status["status"] == "done", status
        assert (status["total"], status["added"], status["failed"]) == (5, 5, 0)
        assert count(db_url) == 5
        with make_client(db_url, API_KEYS=[KEY]) as other_worker:  # status is in the database
            assert other_worker.get(location, headers=AUTH).json() == status
        assert_problem(writer.get(location), 401, "unauthorized")
        assert_problem(writer.get("/api/v1/ingest-jobs/nope", headers=AUTH), 404, "not-found")

    def test_a_bad_line_refuses_the_batch(self, writer: TestClient, db_url: str) -> None:
        content = b'{"id": "a", "body": "A fine story."}\n{"id": "b", "body": ["x"]}\n{oops\n'
        response = writer.post(
            "/api/v1/articles",
            content=content,
            headers={**AUTH, "Content-Type": "application/x-ndjson"},
        )
        body = assert_problem(response, 422, "validation-error")
        assert [e["loc"] for e in body["errors"]] == [["body", 2, "body"], ["body", 3]]
        assert count(db_url) == 0


class TestDelete:
    def test_delete_removes_everything_extracted(self, writer: TestClient, db_url: str) -> None:
        article = writer.post("/api/v1/articles", json=STORY, headers=AUTH).json()
        url = f"/api/v1/articles/{article['id']}"
        assert writer.delete(url, headers=AUTH).status_code == 204
        assert_problem(writer.get(url), 404, "not-found")
        assert_problem(writer.delete(url, headers=AUTH), 404, "not-found")
        for table in ("article", "quote", "mention", "entity"):
            assert count(db_url, table) == 0, table
        assert writer.get("/api/v1/search?q=vote").json()["total"] == 0


@pytest.mark.sqlite_only  # SQLite's one write lock
def test_a_write_waiting_too_long_for_the_lock_is_a_503(db_url: str) -> None:
    with make_client(db_url, API_KEYS=[KEY], BUSY_TIMEOUT_MS=50) as writer:
        holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as a `corpus ingest` batch does
        try:
            response = writer.post("/api/v1/articles", json=STORY, headers=AUTH)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert_problem(response, 503, "database-busy")
        assert response.headers["retry-after"] == "5"
        assert writer.post("/api/v1/articles", json=STORY, headers=AUTH).status_code == 201
