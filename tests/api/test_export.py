"""CSV and NDJSON exports of every list: all matching rows, streamed, same fields as JSON."""

import csv
import io
import itertools
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_article, make_entity, make_mention, make_quote


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def lines_of(response: httpx.Response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_articles_csv_has_every_row_and_the_json_fields(
    client: TestClient, session: Session
) -> None:
    for n in range(3):
        make_article(session, title=f'Title, with "quotes" {n}', body="Line one.\nLine two.")
    response = client.get("/api/v1/articles", params={"format": "csv", "limit": 1})
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="articles.csv"' in response.headers["content-disposition"]
    rows = rows_of(response)
    assert len(rows) == 3  # limit does not apply to an export
    page = client.get("/api/v1/articles").json()["items"][0]
    assert list(rows[0]) == list(page)
    assert rows[0]["title"] == page["title"] and rows[0]["body"] == "Line one.\nLine two."


def test_articles_ndjson_keeps_the_filters(client: TestClient, session: Session) -> None:
    make_article(session, source="A")
    make_article(session, source="B")
    lines = lines_of(client.get("/api/v1/articles", params={"format": "ndjson", "source": "B"}))
    assert [line["source"] for line in lines] == ["B"]


def test_entities_csv_keeps_lists_as_json(client: TestClient, session: Session) -> None:
    entity = make_entity(session, name="Ada Obi", aliases=["Obi", "Ms Obi"])
    make_mention(session, make_article(session), entity)
    [row] = rows_of(client.get("/api/v1/entities", params={"format": "csv"}))
    assert json.loads(row["aliases"]) == ["Obi", "Ms Obi"] and row["mention_count"] == "1"


def test_quote_and_search_exports(client: TestClient, session: Session) -> None:
    article = make_article(session, title="Port strike", body="Dockers said wages must rise.")
    make_quote(session, article, text="wages must rise", start=13, speaker="Ada Obi")
    [quote] = lines_of(client.get("/api/v1/quotes", params={"format": "ndjson", "q": "wage"}))
    assert quote["article_title"] == "Port strike"
    assert quote["snippet"] == "<mark>wages</mark> must rise"
    [hit] = rows_of(client.get("/api/v1/search", params={"format": "csv", "q": "wages"}))
    assert hit["title"] == "Port strike" and "<mark>wages</mark>" in hit["snippet"]
    assert json.loads(hit["matches"]) == [{"start": 13, "end": 18}]


def test_unknown_format_is_422(client: TestClient) -> None:
    assert client.get("/api/v1/articles", params={"format": "xml"}).status_code == 422


def test_csv_cells_cannot_run_as_formulas(client: TestClient, session: Session) -> None:
    titles = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "Plain"]
    for title in titles:
        make_article(session, title=title, author="=cmd|' /C calc'!A0")
    rows = rows_of(client.get("/api/v1/articles", params={"format": "csv", "sort": "id"}))
    assert [row["title"] for row in rows] == ["'" + t for t in titles[:-1]] + ["Plain"]
    assert {row["author"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert rows[0]["word_count"].isdigit()  # numbers stay numbers
    ndjson = lines_of(client.get("/api/v1/articles", params={"format": "ndjson", "sort": "id"}))
    assert ndjson[0]["title"] == titles[0]  # only CSV needs the guard


def test_search_export_is_every_page_in_order(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from app.engines import postgres, sqlite

    monkeypatch.setattr(sqlite, "EXPORT_FIRST_ROWS", 2)  # date order marks these first
    monkeypatch.setattr(postgres, "_CHUNK", 4)  # chunks read between the ranked rows
    for n in range(11):  # equal texts tie in bm25; equal dates tie in date order
        make_article(
            session,
            title=f"Harbour {n % 3}",
            body="The harbour wall held. " * (1 + n % 4),
            published=date(2020, 1, 1 + n % 5) if n % 6 else None,
            source="AB"[n % 2],
        )
    searches = [{"q": "harbour"}, {"q": "harb* wall"}, {"q": "harbour", "source": "B"}]
    for search, sort in itertools.product(searches, ("relevance", "published", "-published")):
        params = {**search, "sort": sort}
        pages = [
            hit
            for offset in range(0, 11, 4)
            for hit in client.get(
                "/api/v1/search", params={**params, "limit": 4, "offset": offset}
            ).json()["items"]
        ]
        exported = lines_of(client.get("/api/v1/search", params={**params, "format": "ndjson"}))
        assert len(pages) == (5 if "source" in search else 11)
        assert exported == pages, params
