"""FTS5 query escaping, and search that never fails on hostile input."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.search import escape_fts_query
from tests.factories import make_article


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trade", '"trade"'),
        ("trade war", '"trade" "war"'),
        ("cat's", '"cat\'s"'),
        ("NOT", '"NOT"'),
        ("a NOT b", '"a" "NOT" "b"'),
        ("a*", '"a*"'),
        ('"trade war" china', '"trade war" "china"'),
        ('"unbalanced', '"unbalanced"'),
        ('say "hi', '"say" "hi"'),
        ('"', ""),
        ("", ""),
        ("   ", ""),
        ("NEAR(a b)", '"NEAR(a" "b)"'),
        ("title:x", '"title:x"'),
        ('a"b', '"a" "b"'),
    ],
)
def test_escape_fts_query(query: str, expected: str) -> None:
    assert escape_fts_query(query) == expected


HOSTILE = [
    '"',
    "*",
    "NOT",
    "(",
    ")",
    "NEAR(",
    "NEAR(trade",
    "AND OR NOT",
    "title:",
    "^trade",
    "trade -war",
    "🙂",
    "trade 🙂 war",
    "'",
    "\\",
    "%_",
    "\x00",
    "col:umn:",
    "{trade war}",
    "a" * 500,
]


@pytest.fixture
def searchable(client: TestClient, session: Session) -> TestClient:
    make_article(session, title="Trade talks resume", body="Negotiators said trade would grow.")
    make_article(session, title="Weather", body="Rain is expected, not snow (mostly).")
    return client


class TestHostileInput:
    @pytest.mark.parametrize("query", HOSTILE)
    def test_any_string_gives_results_or_a_400(self, searchable: TestClient, query: str) -> None:
        for path in ("/api/v1/search", "/api/v1/quotes"):
            response = searchable.get(path, params={"q": query})
            assert response.status_code in (200, 400), (path, query, response.text)
            if response.status_code == 400:
                assert response.json()["type"].endswith("/invalid-search-query")

    def test_ten_kilobytes_is_a_clear_400(self, searchable: TestClient) -> None:
        response = searchable.get("/api/v1/search", params={"q": "trade " * 1700})
        assert response.status_code == 400
        assert "limit is 500" in response.json()["detail"]

    def test_operators_are_searched_as_words(self, searchable: TestClient) -> None:
        # "not" is an ordinary word of the second article; unescaped it would be an FTS5 operator
        hits = searchable.get("/api/v1/search", params={"q": "NOT snow"}).json()
        assert [hit["title"] for hit in hits["items"]] == ["Weather"]

    def test_parenthesised_text_is_matched_literally(self, searchable: TestClient) -> None:
        hits = searchable.get("/api/v1/search", params={"q": "(mostly)"}).json()
        assert hits["total"] == 1
