"""The query language: its translation to FTS5, its errors, and search that never fails."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.engines.fts5 import to_fts5
from app.search.language import QuerySyntaxError, has_prefix, parse
from tests.factories import make_article

TRANSLATIONS = [
    ("trade", '"trade"'),
    ("trade war", '("trade" AND "war")'),
    ("trade AND war", '("trade" AND "war")'),
    ("cat's", '"cat\'s"'),
    ("ab*", '"ab" *'),
    ("a b a", '("a" AND "b")'),
    ("a OR b OR a", '("a" OR "b")'),
    ("x -b -b", '("x" NOT "b")'),
    ('"trade war" china', '("trade war" AND "china")'),
    ("trade OR tariff", '("trade" OR "tariff")'),
    ("trade or tariff", '("trade" AND "or" AND "tariff")'),
    ("trade -war", '("trade" NOT "war")'),
    ("trade NOT war", '("trade" NOT "war")'),
    ("a b -c -d", '(("a" AND "b") NOT ("c" OR "d"))'),
    ("(trade OR tariff) china", '(("trade" OR "tariff") AND "china")'),
    ("((trade))", '("trade")'),
    ("trade - war", '("trade" AND "war")'),
    ("trade * & war", '("trade" AND "war")'),
    ("NEAR(trade war, 5)", 'NEAR("trade" "war", 5)'),
    ("NEAR(trade war)", 'NEAR("trade" "war", 10)'),
    ('"trade war"~3', 'NEAR("trade" "war", 3)'),
    ("title:trade", 'title : "trade"'),
    ('body:"trade war"', 'body : "trade war"'),
    ("title:(a OR b)", 'title : ("a" OR "b")'),
    ("well-known", '"well-known"'),
    ("caf\u00e9", '"caf\u00e9"'),
    ("col:umn", '"col:umn"'),
    ("a\x00b", '("a" AND "b")'),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tarif*", True),
        ("trade tarif*", True),
        ("title:(trade OR steel*)", True),
        ('"steel tarif*"', False),  # a star inside a phrase is no prefix
        ("NEAR(trade tarif*, 5)", True),
        ("trade -tarif*", True),
        ("trade tariff", False),
        ('"trade tariff"~3', False),
        ("title:(a OR b) -c", False),
    ],
)
def test_has_prefix(query: str, expected: bool) -> None:
    assert has_prefix(parse(query)) is expected


@pytest.mark.parametrize(("query", "expected"), TRANSLATIONS)
def test_translation(query: str, expected: str) -> None:
    assert to_fts5(query) == expected


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "no words", 0),
        ("*", "no words", 0),
        ("\U0001f642 - &", "no words", 0),
        ("NEAR(a b, \u00b2)", "needs a distance", 8),
        ("(" * 30 + "a" + ")" * 30, "nest more than 20 deep", 20),
        ("   ", "no words", 0),
        ('"unbalanced', "unclosed quotation mark", 0),
        ('say "hi', "unclosed quotation mark", 4),
        ("NOT", "NOT needs a term", 0),
        ("-war", "at least one term that must match", 0),
        ("trade OR", "OR needs a term", 6),
        ("(trade OR )", "OR needs a term after it", 7),
        ("trade OR OR war", "OR needs a term after it", 6),
        ("OR trade", "OR needs a term before it", 0),
        ("(trade", "unclosed parenthesis", 0),
        ("trade)", "unexpected ')'", 5),
        ("()", "empty parentheses", 0),
        ("NEAR(trade", "unclosed NEAR(", 0),
        ("NEAR(trade)", "two terms or more", 0),
        ("NEAR(a b, x)", "needs a distance", 8),
        ("NEAR(a b, 500)", "100 words or less", 10),
        ('"trade"~2', "two words or more", 0),
        ("title:", "needs a term", 0),
        ("a*", "at least 2 characters", 0),
        ("ab* cd* ef* gh* ij*", "at most 4 prefixes", 16),
        (" ".join(f"w{n}" for n in range(17)), "at most 16 different words", 54),
        ('"w1 w2 w3 w4 w5 w6 w7 w8 w9" w10 "w11 w12 w13 w14 w15 w16 w17"', "16 different", 33),
        ("title: -x", "needs a term", 0),
    ],
)
def test_errors_say_where(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError, match=re.escape(message)) as error:
        to_fts5(query)
    assert error.value.position == position


def test_field_scopes_can_be_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="field scopes such as title: are not available"):
        to_fts5("title:trade", fields=())


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
    "trade AND",
    "- -",
    '""',
    "NEAR(a b,",
    "title:title:x",
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
                body = response.json()
                assert body["type"].endswith("/invalid-search-query")

    def test_long_negations_stay_within_fts5(self, searchable: TestClient) -> None:
        query = "trade " + " ".join(["-b"] * 150)
        assert searchable.get("/api/v1/search", params={"q": query}).json()["total"] == 1

    def test_ten_kilobytes_is_a_clear_400(self, searchable: TestClient) -> None:
        response = searchable.get("/api/v1/search", params={"q": "trade " * 1700})
        assert response.status_code == 400
        assert "limit is 500" in response.json()["detail"]

    def test_a_syntax_error_names_its_position(self, searchable: TestClient) -> None:
        body = searchable.get("/api/v1/search", params={"q": "trade (war"}).json()
        assert body["position"] == 6 and "unclosed parenthesis" in body["detail"]

    def test_lower_case_operators_are_words(self, searchable: TestClient) -> None:
        hits = searchable.get("/api/v1/search", params={"q": "not snow"}).json()
        assert [hit["title"] for hit in hits["items"]] == ["Weather"]

    def test_field_scopes_are_refused_in_quote_search(self, searchable: TestClient) -> None:
        response = searchable.get("/api/v1/quotes", params={"q": "title:trade"})
        assert response.status_code == 400 and "not available here" in response.json()["detail"]
