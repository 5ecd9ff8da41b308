"""The hot routes' answers, pinned where the per-request work was cut (statements built once,
async dependencies): the same JSON, compact and in UTF-8, the same quotes and entities."""

import json
from datetime import date

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_article, make_entity, make_mention, make_quote


def compact(response: httpx.Response) -> None:
    """The body is JSON as the routes have always written it: no spaces, non-ASCII as UTF-8."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    expected = json.dumps(response.json(), ensure_ascii=False, separators=(",", ":"))
    assert response.content == expected.encode()


class TestArticleById:
    def test_body_quotes_and_entities(self, client: TestClient, session: Session) -> None:
        article = make_article(
            session,
            title="Zürich’s mayor — «ça va»",
            body="Zoë Ørsted said “we go” in Zürich. 東京 agreed.",
            published=date(2021, 2, 3),
        )
        person = make_entity(session, name="Zoë Ørsted", aliases=["Ørsted"])
        place = make_entity(session, name="Zürich", type="GPE")
        make_mention(session, article, person, start=0)
        make_mention(session, article, place, start=26, text="Zürich")
        make_mention(session, article, place, start=40, text="Zürich")
        spoken = make_quote(session, article, text="we go", start=18, speaker="Zoë Ørsted")
        stance = make_quote(session, article, text="agreed", start=41, kind="stance")
        response = client.get(f"/api/v1/articles/{article.id}")
        compact(response)
        assert "Zürich’s mayor — «ça va»".encode() in response.content
        body = response.json()
        assert body["title"] == "Zürich’s mayor — «ça va»"
        assert body["published"] == "2021-02-03"
        assert [q["id"] for q in body["quotes"]] == [spoken.id]  # speech by default
        assert body["quotes"][0]["speaker"] == "Zoë Ørsted"
        # most mentioned first, each with its mentions in text order
        assert [e["id"] for e in body["entities"]] == [place.id, person.id]
        assert [m["start"] for m in body["entities"][0]["mentions"]] == [26, 40]
        assert body["entities"][1]["aliases"] == ["Ørsted"]
        every = client.get(f"/api/v1/articles/{article.id}?kind=all").json()
        assert [q["id"] for q in every["quotes"]] == [spoken.id, stance.id]
        stances = client.get(f"/api/v1/articles/{article.id}?kind=stance").json()
        assert [q["id"] for q in stances["quotes"]] == [stance.id]
        # the statements are built once per set of kinds: asking again answers the same
        assert client.get(f"/api/v1/articles/{article.id}").json() == body

    def test_empty_article_and_missing(self, client: TestClient, session: Session) -> None:
        article = make_article(session, published=None)
        response = client.get(f"/api/v1/articles/{article.id}")
        compact(response)
        body = response.json()
        assert body["quotes"] == [] and body["entities"] == [] and body["published"] is None
        missing = client.get("/api/v1/articles/999999")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        bad_kind = client.get(f"/api/v1/articles/{article.id}?kind=nonsense")
        assert bad_kind.status_code == 422
        assert bad_kind.json()["errors"][0]["loc"][:2] == ["query", "kind"]


class TestSearchPage:
    def test_compact_with_stories(self, client: TestClient, session: Session) -> None:
        hit = make_article(session, title="Übung macht den Meister", body="Eine Übung am Tag.")
        response = client.get("/api/v1/search?q=übung")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        # pydantic writes the score's exponent as e-6 where json.dumps writes e-06 (same number)
        assert "Übung".encode() in response.content and b'"total":1,' in response.content
        item = response.json()["items"][0]
        assert item["id"] == hit.id
        assert "story_id" in item and "story_size" in item
