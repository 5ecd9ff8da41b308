"""/health (liveness, no query), /health/ready (database, migrations, model) and
/api/v1/stats (row counts kept by triggers)."""

import time
from typing import Any

from alembic.command import downgrade, upgrade
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.db.migrations import alembic_config
from tests.api.test_writes import AUTH, KEY, STORY, count
from tests.conftest import MODEL, make_client
from tests.factories import make_article


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(slug)
    return body


def test_liveness_runs_no_query(seeded_client: TestClient) -> None:
    app: Any = seeded_client.app
    statements: list[str] = []
    tokens: list[int] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    reader = app.state.change_token

    def read_token() -> Any:
        tokens.append(1)
        return reader()

    app.state.change_token = read_token
    try:
        for _ in range(3):
            response = seeded_client.get("/health")
            assert response.status_code == 200
            assert response.json() == {"status": "ok", "checks": {}}
            assert "etag" not in response.headers
        assert statements == [] and tokens == []
        # the same spies see an ordinary read: they could have failed above
        seeded_client.get("/api/v1/stats")
        assert statements and tokens
    finally:
        app.state.change_token = reader


def test_ready_when_migrated_without_writes(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_not_ready_while_migrations_are_behind(db_url: str) -> None:
    config = alembic_config(db_url)
    downgrade(config, "-1")
    with make_client(db_url) as client:
        body = _problem(client.get("/health/ready"), 503, "/not-ready")
        assert body["checks"]["database"] == "ok"
        assert "run `corpus migrate`" in body["checks"]["migrations"]
        assert client.get("/health").status_code == 200  # alive all the same
        upgrade(config, "head")
        assert client.get("/health/ready").status_code == 200


def test_not_ready_without_a_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with make_client(f"sqlite:///{tmp_path / 'empty.db'}") as client:
        body = _problem(client.get("/health/ready"), 503, "/not-ready")
        assert body["checks"]["migrations"].startswith("at none, not ")
    # nothing listens on port 1: refused at once
    with make_client("postgresql://corpus@127.0.0.1:1/corpus") as client:
        body = _problem(client.get("/health/ready"), 503, "/not-ready")
        assert body["checks"] == {"database": "unreachable: OperationalError"}
        assert client.get("/health").status_code == 200


def test_ready_waits_for_the_model_where_writes_are_on(db_url: str) -> None:
    with make_client(db_url, API_KEYS=[KEY], SPACY_MODEL="no_such_model") as client:
        for _ in range(200):  # the loading thread fails within moments
            response = client.get("/health/ready")
            if "failed" in response.json().get("checks", {}).get("model", ""):
                break
            time.sleep(0.05)
        body = _problem(response, 503, "/not-ready")
        assert body["checks"]["model"].startswith("no_such_model failed to load")
    with make_client(db_url, API_KEYS=[KEY], SPACY_MODEL=MODEL) as client:
        for _ in range(600):  # bounded: the model loads in a few seconds
            response = client.get("/health/ready")
            if response.status_code == 200:
                break
            assert response.json()["checks"]["model"] == "loading"
            time.sleep(0.1)
        assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "model": "ok"}


def test_stats_count_the_seed(seeded_client: TestClient, seeded_db_url: str) -> None:
    stats = seeded_client.get("/api/v1/stats").json()
    assert stats == {
        "articles": count(seeded_db_url, "article"),
        "quotes": count(seeded_db_url, "quote"),
        "entities": count(seeded_db_url, "entity"),
    }
    assert stats["articles"] == 1 and stats["quotes"] >= 2 and stats["entities"] >= 5


def test_stats_follow_writes_and_deletes(db_url: str, session: Session) -> None:
    with make_client(db_url, API_KEYS=[KEY]) as client:
        assert client.get("/api/v1/stats").json() == {"articles": 0, "quotes": 0, "entities": 0}
        make_article(session)
        created = client.post("/api/v1/articles", json=STORY, headers=AUTH)
        assert created.status_code == 201
        stats = client.get("/api/v1/stats").json()
        assert stats["articles"] == 2 and stats["quotes"] == count(db_url, "quote") >= 1
        assert stats["entities"] == count(db_url, "entity") >= 1
        article_id = created.json()["id"]
        assert client.delete(f"/api/v1/articles/{article_id}", headers=AUTH).status_code == 204
        stats = client.get("/api/v1/stats").json()
        # the article's quotes went with it (a cascade), and were counted out
        assert stats["articles"] == 1 and stats["quotes"] == count(db_url, "quote") == 0
        assert stats["entities"] == count(db_url, "entity")


def test_the_api_cannot_write(seeded_client: TestClient) -> None:
    engine = seeded_client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            setting = connection.exec_driver_sql("SHOW default_transaction_read_only").scalar()
            assert setting == "on"
        else:
            assert connection.exec_driver_sql("PRAGMA query_only").scalar() == 1
