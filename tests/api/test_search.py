"""/api/v1/search: bm25 ranking with titles weighted, snippets, stemming, diacritics, paging."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.test_articles import ids
from tests.factories import make_article


class TestSearch:
    def test_title_match_outranks_body_match(self, client: TestClient, session: Session) -> None:
        in_body = make_article(session, title="Markets", body="Harbour traffic grew. " * 3)
        in_title = make_article(session, title="Harbour reopens", body="Ships came back.")
        assert ids(client.get("/api/v1/search?q=harbour")) == [in_title.id, in_body.id]

    def test_a_match_in_a_short_article_outranks_the_same_match_in_a_long_one(
        self, client: TestClient, session: Session
    ) -> None:
        # bm25 on SQLite; on PostgreSQL, cover density divided by the number of distinct words
        filler = " ".join(f"Word{n} filler sentence number {n}." for n in range(120))
        long = make_article(session, title="Council notes", body=f"The harbour reopened. {filler}")
        short = make_article(session, title="Council notes", body="The harbour reopened today.")
        assert ids(client.get("/api/v1/search?q=harbour")) == [short.id, long.id]

    def test_snippet_marks_matches_and_escapes_html(
        self, client: TestClient, session: Session
    ) -> None:
        make_article(session, title="Note", body="Prices <script>rose</script> sharply in May.")
        hit = client.get("/api/v1/search?q=rose").json()["items"][0]
        assert "<mark>rose</mark>" in hit["snippet"]
        assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
        assert isinstance(hit["score"], float)

    def test_stemming_case_and_diacritics(self, client: TestClient, session: Session) -> None:
        article = make_article(session, title="Café owners", body="They were trading loudly.")
        assert ids(client.get("/api/v1/search?q=TRADES")) == [article.id]
        assert ids(client.get("/api/v1/search?q=cafe")) == [article.id]

    def test_all_words_must_match_and_phrases_stay_together(
        self, client: TestClient, session: Session
    ) -> None:
        both = make_article(session, body="The trade war escalated.")
        make_article(session, body="A war of words; trade later.")
        assert len(ids(client.get("/api/v1/search?q=trade war"))) == 2
        assert ids(client.get('/api/v1/search?q="trade war"')) == [both.id]
        assert ids(client.get("/api/v1/search?q=trade peace")) == []

    def test_total_and_paging(self, client: TestClient, session: Session) -> None:
        for _ in range(3):
            make_article(session, body="Volcano erupts again.")
        page = client.get("/api/v1/search?q=volcano&limit=2").json()
        assert page["total"] == 3 and len(page["items"]) == 2 and page["next"]
        rest = client.get(page["next"]).json()
        assert len(rest["items"]) == 1 and rest["next"] is None

    def test_q_is_required(self, client: TestClient) -> None:
        response = client.get("/api/v1/search")
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "q"]


class TestOperators:
    """Each operator against a small corpus whose answers are known."""

    @pytest.fixture
    def corpus(self, client: TestClient, session: Session) -> dict[str, int]:
        texts = {
            "trade": ("Trade deal", "The trade war between the two countries ended."),
            "tariff": ("Tariffs", "New tariffs on steel were announced by the ministry."),
            "both": ("Markets", "Trade and tariffs dominate; the war of words goes on."),
            "cafe": ("Café society", "A café opened near the harbour."),
        }
        return {
            key: make_article(session, title=title, body=body).id or 0
            for key, (title, body) in texts.items()
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("trade", {"trade", "both"}),
            ("trade tariffs", {"both"}),
            ("trade OR tariff", {"trade", "tariff", "both"}),
            ("trade -tariff", {"trade"}),
            ("trade NOT tariff", {"trade"}),
            ('"trade war"', {"trade"}),
            ("tar*", {"tariff", "both"}),
            ("NEAR(trade war, 2)", {"trade"}),
            ('"trade war"~8', {"trade", "both"}),
            ("(trade OR tariff) -steel", {"trade", "both"}),
            ("title:trade", {"trade"}),
            ("body:trade -title:trade", {"both"}),
            ("cafe", {"cafe"}),
            ("CAFÉ", {"cafe"}),
            ("announcing", {"tariff"}),
        ],
    )
    def test_operator(
        self, client: TestClient, corpus: dict[str, int], query: str, expected: set[str]
    ) -> None:
        found = set(ids(client.get("/api/v1/search", params={"q": query})))
        assert found == {corpus[key] for key in expected}


class TestFiltersSortAndFacets:
    def test_filters_combine_with_the_query(self, client: TestClient, session: Session) -> None:
        from datetime import date

        from tests.factories import make_entity, make_mention, make_quote

        old = make_article(
            session,
            body="Floods hit the coast.",
            source="A",
            author="Kim",
            published=date(2019, 5, 1),
        )
        new = make_article(session, body="Floods again.", source="B", published=date(2021, 2, 1))
        make_article(session, body="Drought, not floods.", source="B", published=None)
        ada = make_entity(session, name="Ada Obi")
        rain = make_entity(session, name="Rain Corp", type="ORG")
        make_mention(session, old, ada)
        make_mention(session, new, ada)
        make_mention(session, new, rain)
        make_quote(session, new, speaker="Ada Obi", speaker_entity_id=ada.id)
        # a stance is not a quote: the quote filters pass over it, as the quote lists do
        make_quote(session, old, kind="stance", speaker="Ada Obi", speaker_entity_id=ada.id)

        def search(**params: object) -> list[int]:
            return ids(client.get("/api/v1/search", params={"q": "floods", **params}))

        assert search(source="A") == [old.id]
        assert search(author="Kim") == [old.id]
        assert search(published_from="2020-01-01") == [new.id]
        assert search(published_to="2020-01-01") == [old.id]
        assert set(search(entity_id=[ada.id])) == {old.id, new.id}
        assert search(entity_id=[ada.id, rain.id], entity_match="all") == [new.id]
        assert set(search(entity_id=[ada.id, rain.id])) == {old.id, new.id}
        assert search(speaker_entity_id=ada.id) == [new.id]
        assert search(speaker="ada obi") == [new.id]
        assert search(has_quotes=True) == [new.id]
        assert new.id not in search(has_quotes=False) and old.id in search(has_quotes=False)
        assert search(sort="published")[:2] == [old.id, new.id]
        assert search(sort="-published")[:2] == [new.id, old.id]
        assert search(sort="-published")[-1] not in (old.id, new.id)  # undated last

    @pytest.mark.sqlite_only  # counts straight from the FTS5 table
    def test_facets_match_direct_counts(
        self, client: TestClient, session: Session, db_url: str
    ) -> None:
        import sqlite3
        from datetime import date

        from tests.factories import make_entity, make_mention

        dates = [date(2019, 1, 5), date(2019, 3, 1), date(2020, 3, 9), None]
        articles = [
            make_article(
                session, body=f"Election news {n}.", source="A" if n % 2 else "B", published=day
            )
            for n, day in enumerate(dates)
        ]
        make_article(session, body="Nothing about that.", source="A")
        people = [make_entity(session, name=f"Person {n}") for n in range(3)]
        place = make_entity(session, name="Lagos", type="GPE")
        for n, article in enumerate(articles):
            make_mention(session, article, people[n % 3])
            make_mention(session, article, place)
        response = client.get(
            "/api/v1/search",
            params={
                "q": "election",
                "facet": ["source", "published_year", "published_month", "entity"],
                "facet_size": 2,
            },
        ).json()
        facets = response["facets"]
        path = db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            matched = "SELECT rowid FROM article_fts WHERE article_fts MATCH 'election'"
            sources = dict(
                db.execute(
                    f"SELECT source, count(*) FROM article WHERE id IN ({matched}) GROUP BY source"
                )
            )
        assert {f["value"]: f["count"] for f in facets["source"]} == sources
        assert facets["published_year"] == [
            {"value": None, "count": 1, "id": None, "type": None},
            {"value": "2019", "count": 2, "id": None, "type": None},
            {"value": "2020", "count": 1, "id": None, "type": None},
        ]
        assert [f["value"] for f in facets["published_month"]] == [
            None,
            "2019-01",
            "2019-03",
            "2020-03",
        ]
        by_type: dict[str, list[dict[str, object]]] = {}
        for f in facets["entity"]:
            by_type.setdefault(f["type"], []).append(f)
        assert by_type["GPE"] == [{"value": "Lagos", "count": 4, "id": place.id, "type": "GPE"}]
        assert [f["count"] for f in by_type["PERSON"]] == [2, 1]  # top 2 of 3 people
        assert response["total"] == 4

    def test_unknown_facet_is_422(self, client: TestClient) -> None:
        assert client.get("/api/v1/search?q=a&facet=colour").status_code == 422


class TestHighlights:
    def test_match_offsets_point_into_the_body(self, client: TestClient, session: Session) -> None:
        body = "Harbours grew; the harbour master said harbour fees rise."
        article = make_article(session, title="Ports", body=body)
        hit = client.get("/api/v1/search", params={"q": "harbour"}).json()["items"][0]
        assert hit["id"] == article.id
        assert [body[m["start"] : m["end"]] for m in hit["matches"]] == [
            "Harbours",
            "harbour",
            "harbour",
        ]

    def test_markers_are_configurable(self, client: TestClient, session: Session) -> None:
        make_article(session, body="Rates <b>rose</b> again.")
        hit = client.get(
            "/api/v1/search", params={"q": "rose", "highlight_start": "[[", "highlight_end": "]]"}
        ).json()["items"][0]
        assert "[[rose]]" in hit["snippet"] and "&lt;b&gt;" in hit["snippet"]


def test_quote_search_returns_speaker_title_and_snippet(
    client: TestClient, session: Session
) -> None:
    from tests.factories import make_quote

    article = make_article(session, title="Port strike", body="...")
    make_quote(session, article, text="Wages must rise this year", speaker="Ada Obi")
    make_quote(session, article, text="Nothing to add", start=40)
    body = client.get("/api/v1/quotes", params={"q": "wage"}).json()
    [hit] = body["items"]
    assert hit["speaker"] == "Ada Obi" and hit["article_title"] == "Port strike"
    assert hit["snippet"] == "<mark>Wages</mark> must rise this year"
    plain = client.get("/api/v1/quotes").json()["items"]
    assert all(q["snippet"] is None and q["article_title"] == "Port strike" for q in plain)


class TestBoundedTotals:
    """Issue 21: past a bound the count of matches stops and says so, unless asked for whole."""

    @pytest.fixture
    def five(self, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.db import pagination

        monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", 2)
        for n in range(5):
            make_article(session, title=f"Floods {n}", body=f"Floods reached the town {n}.")

    def test_a_count_in_date_order_stops_past_the_bound(
        self, client: TestClient, five: None
    ) -> None:
        page = client.get("/api/v1/search", params={"q": "floods", "sort": "published"}).json()
        assert (page["total"], page["total_is_exact"], len(page["items"])) == (2, False, 5)
        whole = client.get(
            "/api/v1/search", params={"q": "floods", "sort": "published", "exact_total": "true"}
        ).json()
        assert (whole["total"], whole["total_is_exact"]) == (5, True)

    def test_paging_by_next_stops_at_the_bound(self, client: TestClient, five: None) -> None:
        params = {"q": "floods", "sort": "-published", "limit": 1}
        assert client.get("/api/v1/search", params=params).json()["next"] is not None
        last = client.get("/api/v1/search", params={**params, "offset": 1}).json()
        assert last["next"] is None and last["items"]
        # asked for whole, the pages go on to the last match
        whole = {**params, "offset": 1, "exact_total": "true"}
        assert client.get("/api/v1/search", params=whole).json()["next"] is not None

    def test_a_total_known_anyway_is_given_whole(self, client: TestClient, five: None) -> None:
        # by relevance an engine may rank every match and know the total: then it is exact
        page = client.get("/api/v1/search", params={"q": "floods"}).json()
        assert (page["total"], page["total_is_exact"]) in {(2, False), (5, True)}
        few = client.get("/api/v1/search", params={"q": "floods 3"}).json()
        assert (few["total"], few["total_is_exact"]) == (1, True)


class TestSampledFacets:
    """Issue 21: past the bound the facets count the matches added last, and the answer says
    how many; asked for whole, they count every match."""

    @pytest.fixture
    def five(self, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.api import search
        from app.db import pagination

        monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", 2)
        monkeypatch.setattr(search, "FACET_SAMPLE", 2)
        # three older rows from one wire, then two from another
        for n, source in enumerate(["Old Wire"] * 3 + ["New Wire"] * 2):
            make_article(session, source=source, body=f"Gales closed the harbour {n}.")

    @pytest.mark.parametrize("sort", ["relevance", "-published"])
    def test_the_facets_count_the_matches_added_last(
        self, client: TestClient, five: None, sort: str
    ) -> None:
        params = {"q": "gales", "facet": "source", "sort": sort}
        page = client.get("/api/v1/search", params=params).json()
        assert page["facet_sample"] == 2
        assert _sources(page) == [("New Wire", 2)]
        whole = client.get("/api/v1/search", params={**params, "exact_total": "true"}).json()
        assert whole["facet_sample"] is None
        assert _sources(whole) == [("Old Wire", 3), ("New Wire", 2)]

    def test_few_matches_are_counted_whole(self, client: TestClient, five: None) -> None:
        page = client.get("/api/v1/search", params={"q": "gales 4", "facet": "source"}).json()
        assert page["facet_sample"] is None
        assert _sources(page) == [("New Wire", 1)]
        plain = client.get("/api/v1/search", params={"q": "gales"}).json()
        assert plain["facet_sample"] is None and plain["facets"] == {}


def _sources(page: dict[str, Any]) -> list[tuple[str, int]]:
    return [(count["value"], count["count"]) for count in page["facets"]["source"]]
