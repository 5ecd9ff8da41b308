"""The problem+json contract (RFC 9457) for every kind of error the API returns."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.engines import sqlite as search
from app.engines.connect import create_db_engine
from app.main import create_app
from tests.factories import make_article

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: httpx.Response, status: int, slug: str | None) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if slug is None:
        assert body["type"] == "about:blank"
    else:
        assert body["type"].endswith("/" + slug)
    return body  # type: ignore[no-any-return]


class TestProblemShape:
    def test_unknown_row_is_404(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/articles/12345"), 404, "not-found")
        assert "12345" in body["detail"]

    @pytest.mark.parametrize(
        "path", ["/api/v1/quotes/9", "/api/v1/entities/9", "/api/v1/entities/9/quotes"]
    )
    def test_unknown_rows_of_every_resource_are_404(self, client: TestClient, path: str) -> None:
        assert_problem(client.get(path), 404, "not-found")

    def test_unknown_route_is_404(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
        assert "/api/v1/nothing-here" in body["detail"]

    def test_wrong_method_is_405(self, client: TestClient) -> None:
        response = client.delete("/api/v1/articles")
        assert_problem(response, 405, "method-not-allowed")
        assert "GET" in response.headers["allow"]

    def test_bad_parameter_is_422_with_errors_and_no_echo(self, client: TestClient) -> None:
        response = client.get("/api/v1/articles", params={"limit": "many-SECRET"})
        body = assert_problem(response, 422, "validation-error")
        assert body["errors"] == [
            {"loc": ["query", "limit"], "msg": body["errors"][0]["msg"], "type": "int_parsing"}
        ]
        assert "SECRET" not in response.text

    def test_limit_over_the_cap_is_422(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/articles?limit=101"), 422, "validation-error")
        assert body["errors"][0]["loc"] == ["query", "limit"]

    def test_path_id_must_be_positive(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/articles/0"), 422, "validation-error")
        assert body["errors"][0]["loc"] == ["path", "article_id"]

    def test_bad_search_query_is_400(self, client: TestClient) -> None:
        assert_problem(
            client.get("/api/v1/search", params={"q": "  "}), 400, "invalid-search-query"
        )

    def test_unexpected_failure_is_a_generic_500(self, db_url: str) -> None:
        app = create_app(Settings(DATABASE_URL=db_url))

        def explode() -> None:
            raise RuntimeError("secret internals")

        app.add_api_route("/explode", explode)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/explode")
        assert_problem(response, 500, "internal-error")
        assert "secret" not in response.text


class TestEdgeParameters:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/articles/9223372036854775808",
            "/api/v1/quotes/99999999999999999999",
            "/api/v1/entities/9223372036854775808/quotes",
            "/api/v1/articles?offset=9223372036854775808",
            "/api/v1/articles?entity_id=9223372036854775808",
            "/api/v1/quotes?speaker_entity_id=9223372036854775808",
            # ids are 32-bit on PostgreSQL, and the limit is the same on both engines
            "/api/v1/articles/2147483648",
            "/api/v1/quotes?speaker_entity_id=2147483648",
            "/api/v1/search?q=x&entity_id=2147483648",
        ],
    )
    def test_integers_beyond_the_id_range_are_422(self, client: TestClient, path: str) -> None:
        assert_problem(client.get(path), 422, "validation-error")

    def test_a_route_and_a_row_404_share_one_title(self, client: TestClient) -> None:
        row = client.get("/api/v1/articles/5").json()
        route = client.get("/nowhere").json()
        assert row["title"] == route["title"] and row["type"] == route["type"]

    def test_page_size_cap_is_a_setting(self, db_url: str) -> None:
        with TestClient(create_app(Settings(DATABASE_URL=db_url, MAX_PAGE_SIZE=5))) as client:
            assert client.get("/api/v1/articles?limit=5").status_code == 200
            body = assert_problem(client.get("/api/v1/articles?limit=6"), 422, "validation-error")
        assert "less than or equal to 5" in body["errors"][0]["msg"]


class TestSearchTimeout:
    @pytest.mark.sqlite_only  # SQLite's progress handler; PostgreSQL's below
    def test_runaway_search_is_a_503_problem(
        self, db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        engine = create_db_engine(db_url)
        with Session(engine) as session:
            for _ in range(3):
                make_article(session, body="Harbour traffic grew. " * 50)
        engine.dispose()
        monkeypatch.setattr(search, "_PROGRESS_STEPS", 1)
        settings = Settings(DATABASE_URL=db_url, SEARCH_TIMEOUT_MS=0)
        with TestClient(create_app(settings)) as client:
            for path in ("/api/v1/search?q=harbour", "/api/v1/quotes?q=harbour"):
                body = assert_problem(client.get(path), 503, "search-timeout")
                assert "0 ms" in body["detail"]
            assert client.get("/api/v1/articles").status_code == 200  # only searches are limited

    def test_a_statement_past_the_limit_is_a_search_timeout(self, db_url: str) -> None:
        from sqlalchemy import text

        from app.errors import SearchTimeout
        from app.search import time_limit

        if not db_url.startswith("postgresql"):
            pytest.skip("PostgreSQL's statement_timeout")
        engine = create_db_engine(db_url)
        with Session(engine) as session, pytest.raises(SearchTimeout):
            with time_limit(session, 20):
                session.connection().execute(text("SELECT pg_sleep(1)"))
        with Session(engine) as session:  # the limit ends with the block
            with time_limit(session, 2000):
                session.connection().execute(text("SELECT pg_sleep(0.05)"))
            session.connection().execute(text("SELECT pg_sleep(0.05)"))
        engine.dispose()
