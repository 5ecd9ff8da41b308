"""/api/v1/articles: listing, filters, sorting, paging and the article detail views."""

from datetime import date

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_article, make_entity, make_mention, make_quote


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestListArticles:
    def test_envelope_and_fields(self, client: TestClient, session: Session) -> None:
        article = make_article(session, author="A. Writer")
        body = client.get("/api/v1/articles").json()
        assert body["total"] == 1 and body["limit"] == 20 and body["offset"] == 0
        assert body["next"] is None
        item = body["items"][0]
        assert item["id"] == article.id
        assert item["source_id"] == article.source_id
        assert item["author"] == "A. Writer"
        assert item["published"] == "2020-01-01"
        assert item["body"] == article.body

    def test_filters(self, client: TestClient, session: Session) -> None:
        a = make_article(session, source="Wire A", author="Ann", published=date(2020, 5, 1))
        b = make_article(session, source="Wire B", author="Bob", published=date(2021, 5, 1))
        c = make_article(session, source="Wire A", author="Bob", published=None)
        assert ids(client.get("/api/v1/articles?source=Wire A&sort=id")) == [a.id, c.id]
        assert ids(client.get("/api/v1/articles?author=Bob&sort=id")) == [b.id, c.id]
        assert ids(client.get("/api/v1/articles?published_from=2021-01-01")) == [b.id]
        assert ids(client.get("/api/v1/articles?published_to=2020-12-31")) == [a.id]
        assert ids(
            client.get("/api/v1/articles?published_from=2020-05-01&published_to=2020-05-01")
        ) == [a.id]

    def test_entity_filter(self, client: TestClient, session: Session) -> None:
        a = make_article(session)
        make_article(session)
        entity = make_entity(session, name="Ada Lovelace")
        make_mention(session, a, entity)
        assert ids(client.get(f"/api/v1/articles?entity_id={entity.id}")) == [a.id]

    def test_sort_orders(self, client: TestClient, session: Session) -> None:
        old = make_article(session, title="Bravo", published=date(2019, 1, 1))
        new = make_article(session, title="Alpha", published=date(2021, 1, 1))
        undated = make_article(session, title="Charlie", published=None)
        assert ids(client.get("/api/v1/articles")) == [new.id, old.id, undated.id]
        assert ids(client.get("/api/v1/articles?sort=published")) == [old.id, new.id, undated.id]
        assert ids(client.get("/api/v1/articles?sort=title")) == [new.id, old.id, undated.id]
        assert ids(client.get("/api/v1/articles?sort=-id")) == [undated.id, new.id, old.id]

    def test_same_date_ties_break_on_id(self, client: TestClient, session: Session) -> None:
        made = [make_article(session, published=date(2020, 1, 1)).id or 0 for _ in range(3)]
        assert ids(client.get("/api/v1/articles")) == sorted(made, reverse=True)

    def test_paging_walks_every_item_once(self, client: TestClient, session: Session) -> None:
        made = {make_article(session).id or 0 for _ in range(5)}
        seen: list[int] = []
        url: str | None = "/api/v1/articles?limit=2"
        while url:
            page = client.get(url).json()
            assert page["total"] == 5
            seen += [item["id"] for item in page["items"]]
            url = page["next"]
        assert sorted(seen) == sorted(made)

    def test_bad_filters_are_422(self, client: TestClient) -> None:
        for query in ("published_from=yesterday", "sort=random", "entity_id=0", "offset=-1"):
            response = client.get(f"/api/v1/articles?{query}")
            assert response.status_code == 422, query


class TestGetArticle:
    def test_detail_has_body_entities_and_quotes(
        self, client: TestClient, session: Session
    ) -> None:
        body = "Ada Lovelace said the engine could compose music."
        article = make_article(session, body=body)
        ada = make_entity(session, name="Ada Lovelace")
        make_mention(session, article, ada, start=0)
        make_quote(
            session,
            article,
            text="the engine could compose music",
            start=18,
            kind="indirect",
            speaker="Ada Lovelace",
            speaker_text="Ada Lovelace",
            speaker_start=0,
            speaker_end=12,
            speaker_entity_id=ada.id,
        )
        detail = client.get(f"/api/v1/articles/{article.id}").json()
        assert detail["body"] == body
        [entity] = detail["entities"]
        assert entity["name"] == "Ada Lovelace"
        assert entity["mentions"] == [{"text": "Ada Lovelace", "start": 0, "end": 12}]
        [quote] = detail["quotes"]
        assert body[quote["start"] : quote["end"]] == quote["text"]
        assert quote["speaker_entity_id"] == ada.id and quote["kind"] == "indirect"

    def test_quotes_and_entities_subresources(self, client: TestClient, session: Session) -> None:
        article = make_article(session)
        other = make_article(session)
        first = make_quote(session, article, start=10, text="second words")
        second = make_quote(session, article, start=0, text="first words")
        make_quote(session, other)
        quotes = client.get(f"/api/v1/articles/{article.id}/quotes").json()
        assert quotes["total"] == 2
        assert [q["id"] for q in quotes["items"]] == [second.id, first.id]  # body order
        entity = make_entity(session)
        make_mention(session, article, entity, start=0)
        make_mention(session, article, entity, start=20)
        entities = client.get(f"/api/v1/articles/{article.id}/entities").json()
        assert entities["total"] == 1
        assert len(entities["items"][0]["mentions"]) == 2

    def test_subresources_of_a_missing_article_are_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/articles/77/quotes").status_code == 404
        assert client.get("/api/v1/articles/77/entities").status_code == 404


class TestSparseFieldsAndInclude:
    def test_fields_pick_keys(self, client: TestClient, session: Session) -> None:
        make_article(session, title="Only this")
        [item] = client.get("/api/v1/articles?fields=title,published").json()["items"]
        assert set(item) == {"id", "title", "published"} and item["title"] == "Only this"

    def test_include_adds_quotes_and_entities(self, client: TestClient, session: Session) -> None:
        article = make_article(session, body="Ada Obi said yes.")
        ada = make_entity(session, name="Ada Obi")
        make_mention(session, article, ada)
        make_quote(session, article, text="yes", start=13)
        [item] = client.get("/api/v1/articles?include=quotes,entities").json()["items"]
        assert "body" not in item and item["quotes"][0]["text"] == "yes"
        assert item["entities"][0]["name"] == "Ada Obi"
        [both] = client.get("/api/v1/articles?fields=title&include=body").json()["items"]
        assert set(both) == {"id", "title", "body"}
        [default] = client.get("/api/v1/articles").json()["items"]
        assert "body" in default and "quotes" not in default

    def test_unknown_names_are_422(self, client: TestClient) -> None:
        for query in ("fields=title,colour", "include=photos"):
            response = client.get(f"/api/v1/articles?{query}")
            assert response.status_code == 422
            assert "choose from" in response.json()["errors"][0]["msg"]
