"""/api/v1/entities: type and name filters, sorting, and an entity's articles and quotes."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.test_articles import ids
from tests.factories import make_article, make_entity, make_mention, make_quote


class TestListEntities:
    def test_filters_and_sorting(self, client: TestClient, session: Session) -> None:
        a, b = make_article(session), make_article(session)
        ren = make_entity(session, name="Ren Zhengfei", aliases=["Zhengfei"])
        huawei = make_entity(session, name="Huawei", type="ORG")
        renault = make_entity(session, name="Renault", type="ORG")
        for article in (a, b):
            make_mention(session, article, huawei)
        make_mention(session, a, huawei, start=30)
        make_mention(session, a, ren)
        make_mention(session, b, renault)
        # ties on the count break on id in the same direction (keyset paging needs it)
        assert ids(client.get("/api/v1/entities")) == [huawei.id, renault.id, ren.id]
        assert ids(client.get("/api/v1/entities?type=org")) == [huawei.id, renault.id]
        assert ids(client.get("/api/v1/entities?name_prefix=ren&sort=name")) == [ren.id, renault.id]
        assert ids(client.get("/api/v1/entities?sort=mentions")) == [ren.id, renault.id, huawei.id]
        first = client.get("/api/v1/entities").json()["items"][0]
        assert first["mention_count"] == 3 and first["article_count"] == 2

    def test_like_wildcards_in_prefix_are_literal(
        self, client: TestClient, session: Session
    ) -> None:
        make_entity(session, name="Percent")
        assert client.get("/api/v1/entities?name_prefix=%25").json()["total"] == 0
        assert client.get("/api/v1/entities?name_prefix=_").json()["total"] == 0
        # full-width ％ and ＿ fold to % and _: escaped after folding, still literal
        assert client.get("/api/v1/entities?name_prefix=％").json()["total"] == 0
        assert client.get("/api/v1/entities?name_prefix=＿").json()["total"] == 0

    def test_prefix_ignores_case_accents_and_spaces(
        self, client: TestClient, session: Session
    ) -> None:
        zola = make_entity(session, name="Émile Zola")
        brien = make_entity(session, name="Conor O’Brien")
        make_entity(session, name="Emilia Clarke")
        for prefix in ("émile z", "EMILE  Z", "Emile Zola"):
            assert ids(client.get("/api/v1/entities", params={"name_prefix": prefix})) == [zola.id]
        assert ids(client.get("/api/v1/entities?name_prefix=conor o'b")) == [brien.id]

    def test_bad_type_is_422(self, client: TestClient) -> None:
        assert client.get("/api/v1/entities?type=no%20spaces").status_code == 422


class TestEntityDetail:
    def test_entity_articles_and_quotes(self, client: TestClient, session: Session) -> None:
        a, b, c = make_article(session), make_article(session), make_article(session)
        ada = make_entity(session, name="Ada Lovelace", aliases=["Lovelace"])
        make_mention(session, a, ada)
        make_mention(session, c, ada)
        said = make_quote(session, a, speaker="Ada Lovelace", speaker_entity_id=ada.id)
        make_quote(session, b)
        detail = client.get(f"/api/v1/entities/{ada.id}").json()
        assert detail["aliases"] == ["Lovelace"] and detail["article_count"] == 2
        assert sorted(ids(client.get(f"/api/v1/entities/{ada.id}/articles"))) == [a.id, c.id]
        assert ids(client.get(f"/api/v1/entities/{ada.id}/quotes")) == [said.id]

    def test_missing_entity_subresources_are_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/entities/5/articles").status_code == 404
        assert client.get("/api/v1/entities/5/quotes").status_code == 404


class TestEntityDepth:
    def test_related_entities_and_timeline(self, client: TestClient, session: Session) -> None:
        import math
        from datetime import date

        a = make_article(session, published=date(2020, 1, 5))
        b = make_article(session, published=date(2020, 1, 20))
        c = make_article(session, published=date(2020, 3, 1))
        make_article(session)  # five articles in all, with the undated one below
        ada = make_entity(session, name="Ada Obi")
        acme = make_entity(session, name="Acme", type="ORG")
        lagos = make_entity(session, name="Lagos", type="GPE")
        for article in (a, b, c):
            make_mention(session, article, ada)
        make_mention(session, a, ada, start=30)
        make_mention(session, a, acme)
        make_mention(session, b, acme)
        make_mention(session, c, lagos)
        undated = make_article(session, published=None)  # related, but not on the timeline
        make_mention(session, undated, ada)
        make_mention(session, undated, acme)
        detail = client.get(f"/api/v1/entities/{ada.id}").json()
        assert [(r["name"], r["articles"]) for r in detail["related"]] == [
            ("Acme", 3),
            ("Lagos", 1),
        ]
        acme_pmi = detail["related"][0]["pmi"]
        assert acme_pmi == round(math.log(5 * 3 / (4 * 3)), 4)
        assert client.get(f"/api/v1/entities/{lagos.id}").json()["related"] == [
            {
                "id": ada.id,
                "name": "Ada Obi",
                "type": ada.type,
                "articles": 1,
                "stories": None,
                "pmi": round(math.log(5 * 1 / (1 * 4)), 4),
            }
        ]
        assert detail["timeline"] == [
            {"month": "2020-01", "mentions": 3, "articles": 2},
            {"month": "2020-03", "mentions": 1, "articles": 1},
        ]


class TestAutocomplete:
    def test_prefix_case_and_accent_insensitive(self, client: TestClient, session: Session) -> None:
        sao = make_entity(session, name="São Paulo", type="GPE")
        ren = make_entity(session, name="Ren Zhengfei", aliases=["Zhengfei"])
        make_entity(session, name="Renault", type="ORG")
        make_mention(session, make_article(session), ren)
        assert ids(client.get("/api/v1/entities?q=sao pa")) == [sao.id]
        assert ids(client.get("/api/v1/entities?q=SÃO")) == [sao.id]
        assert ids(client.get("/api/v1/entities?q=zheng")) == [ren.id]
        assert ids(client.get("/api/v1/entities?q=ren&type=PERSON")) == [ren.id]
        assert len(ids(client.get("/api/v1/entities?q=ren"))) == 2
        assert ids(client.get("/api/v1/entities?q=%21%21")) == []  # no words: nothing matches
