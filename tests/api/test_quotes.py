"""/api/v1/quotes: filters by speaker, article, kind and full-text search in quote text."""

from typing import Any

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


_ALL_KINDS = ("direct", "block", "partial", "mixed", "indirect", "stance")


class TestSpeakerPages:
    """Issue 21: quotes by a name, written or resolved, page as one list in text order (each
    name's index walked, the walks merged), and a long list's count stops past a bound."""

    @pytest.fixture
    def by_name(self, session: Session) -> list[int]:
        """Quotes naming Kofi Mensah one way, the other, both or not at all, in three
        articles; the ids of his speech, in the list's order."""
        expected: list[tuple[int, str, int, int]] = []
        for n in range(3):
            article = make_article(session, title=f"Council vote {n}")
            shapes = [  # the quote's names, and whether it is listed
                ({"speaker": "Kofi Mensah", "speaker_text": "he"}, True),
                ({"speaker_text": "Kofi Mensah"}, True),  # written, not resolved
                ({"speaker": "Kofi Mensah", "speaker_text": "Kofi Mensah"}, True),
                ({"speaker": "Ama Owusu", "speaker_text": "Mr Mensah"}, False),
                ({"speaker": "Kofi Mensah", "speaker_text": "he", "kind": "stance"}, False),
                ({"speaker_text": "kofi  MENSAH", "field": "title"}, True),
            ]
            # written out of text order, so ids alone do not give the order
            for start, (fields, listed) in reversed(list(enumerate(shapes))):
                quote = make_quote(session, article, start=start * 50, **fields)
                if listed:
                    assert quote.id is not None
                    row = (article.id or 0, fields.get("field", "body"), start * 50, quote.id)
                    expected.append(row)
        return [row[-1] for row in sorted(expected)]

    def test_pages_by_cursor_and_by_offset_give_each_quote_once(
        self, client: TestClient, by_name: list[int]
    ) -> None:
        whole = client.get("/api/v1/quotes", params={"speaker": "Kofi Mensah", "limit": 100})
        assert ids(whole) == by_name
        by_cursor: list[int] = []
        url: str | None = "/api/v1/quotes?speaker=kofi%20mensah&limit=2"
        while url is not None:
            page = client.get(url).json()
            assert page["total"] == len(by_name) and page["total_is_exact"]
            by_cursor += ids_of(page["items"])
            url = page["next"]
        assert by_cursor == by_name
        by_offset = [
            quote_id
            for offset in range(0, len(by_name), 4)
            for quote_id in ids(
                client.get(
                    "/api/v1/quotes",
                    params={"speaker": "Kofi Mensah", "limit": 4, "offset": offset},
                )
            )
        ]
        assert by_offset == by_name

    def test_the_count_stops_past_the_bound_unless_asked(
        self, client: TestClient, by_name: list[int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.db import pagination

        monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", 5)
        params: dict[str, Any] = {"speaker": "Kofi Mensah", "limit": 4}
        page = client.get("/api/v1/quotes", params=params).json()
        assert (page["total"], page["total_is_exact"]) == (5, False)
        # the cursor still leads to the last quote
        rest = client.get(page["next"]).json()
        assert ids_of(page["items"]) + ids_of(rest["items"]) == by_name[:8]
        whole = client.get("/api/v1/quotes", params={**params, "exact_total": "true"}).json()
        assert (whole["total"], whole["total_is_exact"]) == (len(by_name), True)
        # six by the resolved name, nine by the written one, twelve in all
        for bound, expected in [(8, (8, False)), (11, (11, False)), (12, (12, True))]:
            monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", bound)
            # another page size each time: an answer of its own, not one cached before
            page = client.get("/api/v1/quotes", params={**params, "limit": bound}).json()
            assert (page["total"], page["total_is_exact"]) == expected
        few = client.get("/api/v1/quotes", params={"speaker": "Ama Owusu"}).json()
        assert few["total_is_exact"] and few["total"] == 3
        articles = client.get("/api/v1/articles", params={"limit": 1}).json()
        assert (articles["total"], articles["total_is_exact"]) == (3, True)


class TestKinds:
    """Issue 20: the lists show speech unless asked; stances on request; `all` is every kind."""

    @pytest.fixture
    def made(self, session: Session) -> tuple[int, int, dict[str, int]]:
        """An article, an entity, and one quote of each kind in it said by that entity."""
        article = make_article(session, body="A body long enough for six quotes. " * 4)
        ada = make_entity(session, name="Ada Lovelace")
        quotes = {
            kind: make_quote(
                session,
                article,
                kind=kind,
                start=10 * n,
                text=f"words of kind {kind}",
                speaker="Ada Lovelace",
                speaker_entity_id=ada.id,
            ).id
            or 0
            for n, kind in enumerate(_ALL_KINDS)
        }
        return article.id or 0, ada.id or 0, quotes

    @pytest.mark.parametrize(
        ("query", "kinds"),
        [
            ("", ("direct", "block", "partial", "mixed", "indirect")),
            ("?kind=stance", ("stance",)),
            ("?kind=all", _ALL_KINDS),
            ("?kind=direct&kind=indirect", ("direct", "indirect")),
            ("?kind=stance&kind=all", _ALL_KINDS),
        ],
    )
    def test_every_list(
        self,
        client: TestClient,
        made: tuple[int, int, dict[str, int]],
        query: str,
        kinds: tuple[str, ...],
    ) -> None:
        article_id, entity_id, by_kind = made
        wanted = sorted(by_kind[kind] for kind in kinds)
        for path in (
            "/api/v1/quotes",
            f"/api/v1/articles/{article_id}/quotes",
            f"/api/v1/entities/{entity_id}/quotes",
        ):
            answer = client.get(path + query).json()
            assert sorted(ids_of(answer["items"])) == wanted, path
            assert answer["total"] == len(wanted)
        detail = client.get(f"/api/v1/articles/{article_id}{query}").json()
        assert sorted(ids_of(detail["quotes"])) == wanted
        listed = client.get("/api/v1/articles" + (query or "?") + "&include=quotes").json()
        assert sorted(ids_of(listed["items"][0]["quotes"])) == wanted
        for fmt in ("ndjson", "csv"):
            export = client.get("/api/v1/quotes" + (query or "?") + f"&format={fmt}")
            assert export.status_code == 200
            lines = export.text.strip().splitlines()
            assert len(lines) == len(wanted) + (fmt == "csv")  # a CSV has its header

    @pytest.mark.parametrize("path", ["/api/v1/quotes", "/api/v1/articles/1/quotes"])
    def test_a_bad_kind_names_the_allowed_ones(self, client: TestClient, path: str) -> None:
        answer = client.get(path + "?kind=direct&kind=rumour")
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        [error] = answer.json()["errors"]
        assert error["loc"][:2] == ["query", "kind"]
        for allowed in (*_ALL_KINDS, "all"):
            assert f"'{allowed}'" in error["msg"]
        assert "rumour" not in answer.text  # the input is not echoed back

    def test_documented(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path in (
            "/api/v1/quotes",
            "/api/v1/articles/{article_id}/quotes",
            "/api/v1/entities/{entity_id}/quotes",
        ):
            [param] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "kind"]
            assert "`kind=all`" in param["description"] and "stance" in param["description"]


def ids_of(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


class TestGetQuote:
    def test_shape(self, client: TestClient, session: Session) -> None:
        quote = make_quote(session, make_article(session), text="Hello there", start=5)
        body = client.get(f"/api/v1/quotes/{quote.id}").json()
        assert body == {
            "id": quote.id,
            "article_id": quote.article_id,
            "text": "Hello there",
            "field": "body",
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
