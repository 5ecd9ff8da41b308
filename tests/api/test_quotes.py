"""/api/v1/quotes: filters by speaker, article, kind and full-text search in quote text."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.test_articles import ids
from tests.factories import make_article, make_entity, make_quote


class TestListQuotes:
    def test_filters(self, client: TestClient, session: Session) -> None:
        article = make_article(session)
        other = make_article(session)
        ada = make_entity(session, name="Ada Lovelace")
        by_ada = make_quote(
            session,
            article,
            text="Engines weave algebra",
            speaker="Ada Lovelace",
            speaker_text="she",
            speaker_entity_id=ada.id,
        )
        unknown = make_quote(session, article, start=40, text="Nobody knows", kind="partial")
        elsewhere = make_quote(session, other, text="Trading resumed today")
        assert ids(client.get(f"/api/v1/quotes?speaker_entity_id={ada.id}")) == [by_ada.id]
        assert ids(client.get("/api/v1/quotes?speaker=ada lovelace")) == [by_ada.id]
        assert ids(client.get("/api/v1/quotes?speaker=SHE")) == [by_ada.id]
        assert ids(client.get(f"/api/v1/quotes?article_id={other.id}")) == [elsewhere.id]
        assert ids(client.get("/api/v1/quotes?kind=partial")) == [unknown.id]
        # stemmed full-text search: "trade" finds "Trading"
        assert ids(client.get("/api/v1/quotes?q=trade")) == [elsewhere.id]
        assert ids(client.get('/api/v1/quotes?q="weave algebra"')) == [by_ada.id]
        assert ids(client.get('/api/v1/quotes?q="algebra weave"')) == []
        assert ids(client.get(f"/api/v1/quotes?q=engines&speaker_entity_id={ada.id}")) == [
            by_ada.id
        ]

    def test_speaker_names_ignore_case_accents_and_spaces(
        self, client: TestClient, session: Session
    ) -> None:
        """The same on both engines: SQLite's lower() once folded ASCII only."""
        article = make_article(session, body="We will build it, the mayor said.")
        zola = make_quote(session, article, speaker="Émile Zola")
        written = make_quote(session, article, start=40, speaker_text="Mr. Søren Ødegård")
        make_quote(session, article, start=80, speaker="Emilia Zolan")
        for name in ("Émile Zola", "émile zola", "EMILE ZOLA", "  Emile   Zola "):
            assert ids(client.get("/api/v1/quotes", params={"speaker": name})) == [zola.id]
            hits = client.get("/api/v1/search", params={"q": "build", "speaker": name}).json()
            assert [hit["id"] for hit in hits["items"]] == [article.id]
        assert ids(client.get("/api/v1/quotes?speaker=mr. soren odegard")) == [written.id]
        assert ids(client.get("/api/v1/quotes?speaker=emile")) == []  # whole names only

    def test_min_confidence(self, client: TestClient, session: Session) -> None:
        article = make_article(session)
        ada = make_entity(session, name="Ada Lovelace")
        sure = make_quote(
            session, article, speaker="Ada Lovelace", speaker_entity_id=ada.id, confidence=0.9
        )
        guess = make_quote(
            session,
            article,
            start=30,
            speaker="Ada Lovelace",
            speaker_entity_id=ada.id,
            confidence=0.6,
        )
        nobody = make_quote(session, article, start=60)
        assert ids(client.get("/api/v1/quotes")) == [sure.id, guess.id, nobody.id]
        assert ids(client.get("/api/v1/quotes?min_confidence=0.85")) == [sure.id]
        assert ids(client.get("/api/v1/quotes?min_confidence=0.6")) == [sure.id, guess.id]
        assert ids(client.get("/api/v1/quotes?min_confidence=0")) == [sure.id, guess.id, nobody.id]
        # the same filter wherever quotes are listed
        assert ids(client.get(f"/api/v1/articles/{article.id}/quotes?min_confidence=0.85")) == [
            sure.id
        ]
        assert ids(client.get(f"/api/v1/entities/{ada.id}/quotes?min_confidence=0.85")) == [sure.id]
        body = client.get(f"/api/v1/quotes/{sure.id}").json()
        assert body["confidence"] == 0.9

    @pytest.mark.parametrize("value", ["-0.1", "1.5", "high"])
    def test_min_confidence_out_of_range_is_422(self, client: TestClient, value: str) -> None:
        for path in ("/api/v1/quotes", "/api/v1/articles/1/quotes", "/api/v1/entities/1/quotes"):
            response = client.get(f"{path}?min_confidence={value}")
            assert response.status_code == 422
            assert response.json()["errors"][0]["loc"] == ["query", "min_confidence"]

    def test_min_confidence_is_documented(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path in ("/api/v1/quotes", "/api/v1/articles/{article_id}/quotes"):
            [param] = [
                p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "min_confidence"
            ]
            assert "confidence" in param["description"]
            assert param["schema"]["anyOf"][0]["maximum"] == 1

    def test_unknown_kind_is_422(self, client: TestClient) -> None:
        assert client.get("/api/v1/quotes?kind=rumour").status_code == 422


class TestGetQuote:
    def test_shape(self, client: TestClient, session: Session) -> None:
        quote = make_quote(session, make_article(session), text="Hello there", start=5)
        body = client.get(f"/api/v1/quotes/{quote.id}").json()
        assert body == {
            "id": quote.id,
            "article_id": quote.article_id,
            "text": "Hello there",
            "start": 5,
            "end": 16,
            "kind": "direct",
            "cue": "said",
            "speaker": None,
            "speaker_text": None,
            "speaker_start": None,
            "speaker_end": None,
            "speaker_entity_id": None,
            "confidence": 0.0,
            "quotation_id": None,  # made by hand, so in no quotation
        }
