"""/api/v1/search: bm25 ranking with titles weighted, snippets, stemming, diacritics, paging."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.test_articles import ids
from tests.factories import make_article


class TestSearch:
    def test_title_match_outranks_body_match(self, client: TestClient, session: Session) -> None:
        in_body = make_article(session, title="Markets", body="Harbour traffic grew. " * 3)
        in_title = make_article(session, title="Harbour reopens", body="Ships came back.")
        assert ids(client.get("/api/v1/search?q=harbour")) == [in_title.id, in_body.id]

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
