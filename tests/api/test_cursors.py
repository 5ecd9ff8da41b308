"""Keyset cursors: following `next` visits every row once, in the same order as offsets do."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_article, make_entity, make_mention, make_quote


def walk(client: TestClient, url: str) -> list[int]:
    seen: list[int] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url).json()
        seen += [item["id"] for item in page["items"]]
        next_url = page["next"]
        assert ("cursor=" in next_url) if next_url else page["next_cursor"] is None
    return seen


def by_offset(client: TestClient, url: str, total: int) -> list[int]:
    joiner = "&" if "?" in url else "?"
    body = client.get(f"{url}{joiner}limit=100").json()
    assert body["total"] == total
    return [item["id"] for item in body["items"]]


@pytest.fixture
def articles(session: Session) -> int:
    days = [date(2020, 1, 1), date(2020, 1, 1), None, date(2019, 6, 1), None, date(2021, 1, 1)]
    for n, day in enumerate(days * 2):
        make_article(session, title=f"T{n % 4}", published=day)
    return len(days) * 2


@pytest.mark.parametrize("sort", ["-published", "published", "title", "-title", "id", "-id"])
def test_article_cursor_pages_match_offset_order(
    client: TestClient, articles: int, sort: str
) -> None:
    expected = by_offset(client, f"/api/v1/articles?sort={sort}", articles)
    assert walk(client, f"/api/v1/articles?sort={sort}&limit=3") == expected


@pytest.mark.parametrize("sort", ["-mentions", "mentions", "-articles", "name", "-name"])
def test_entity_and_quote_cursors(client: TestClient, session: Session, sort: str) -> None:
    article = make_article(session)
    for n in range(7):
        entity = make_entity(session, name=f"Name {n % 3}", type=f"T{n}")
        for _ in range(n % 3):
            make_mention(session, article, entity)
    expected = by_offset(client, f"/api/v1/entities?sort={sort}", 7)
    assert walk(client, f"/api/v1/entities?sort={sort}&limit=2") == expected
    for start in (5, 1, 3, 1):
        make_quote(session, article, start=start)
    quotes = by_offset(client, "/api/v1/quotes", 4)
    assert walk(client, "/api/v1/quotes?limit=3") == quotes


def test_bad_cursors_are_422(client: TestClient, articles: int) -> None:
    for cursor in ("nonsense", "WyJ4Il0", "%%%"):
        response = client.get("/api/v1/articles", params={"cursor": cursor})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
    first = client.get("/api/v1/articles?limit=2").json()
    both = client.get("/api/v1/articles", params={"cursor": first["next_cursor"], "offset": 2})
    assert both.status_code == 422


@pytest.mark.parametrize(
    "values",
    [[[1], 1], [{"a": 1}, 1], [99999999999999999999, 1], ["x", 1], [1.5, 2], [True, 1]],
)
def test_tampered_cursors_are_422(client: TestClient, articles: int, values: list[object]) -> None:
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    for path in ("/api/v1/entities", "/api/v1/articles?sort=title", "/api/v1/articles"):
        response = client.get(path, params={"cursor": cursor})
        assert response.status_code == 422, (path, values, response.text)
