"""/health: reachability and counts, used by the container's HEALTHCHECK."""

from fastapi.testclient import TestClient

from tests.conftest import make_client


def test_health_counts_the_seed(seeded_client: TestClient) -> None:
    body = seeded_client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    assert body["articles"] == 1 and body["quotes"] >= 2 and body["entities"] >= 5


def test_unmigrated_database_is_a_503_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with make_client(f"sqlite:///{tmp_path / 'empty.db'}") as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/database-unreachable")


def test_the_api_cannot_write(seeded_client: TestClient) -> None:
    engine = seeded_client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            setting = connection.exec_driver_sql("SHOW default_transaction_read_only").scalar()
            assert setting == "on"
        else:
            assert connection.exec_driver_sql("PRAGMA query_only").scalar() == 1
