"""Quotes in headlines over the API (issue 20): stored against the title with `field`,
attributed with the article's entities, listed after the body's, searchable; a title made
from the lead sentence has none of its own."""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from app.engines.connect import create_db_engine
from app.ingest.run import ingest
from tests.conftest import MODEL, make_client

_ARTICLES = [
    {
        "id": "h1",
        "title": "Blair: 'We will not retreat'",
        "body": 'Tony Blair spoke to MPs on Tuesday. "We stay the course," he said.',
    },
    # no title: the lead sentence becomes it, and its quote is the body's
    {"id": "h2", "body": '"Rates will rise," the governor said on Friday. Markets fell.'},
]


def test_headline_quotes(db_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(a) for a in _ARTICLES) + "\n")
    engine = create_db_engine(db_url)
    try:
        assert ingest([feed], engine=engine, model=MODEL).added == 2
    finally:
        engine.dispose()
    with make_client(db_url) as client:
        articles = {a["source_id"]: a for a in client.get("/api/v1/articles").json()["items"]}
        first = articles["h1"]
        quotes = client.get(f"/api/v1/articles/{first['id']}/quotes").json()["items"]
        assert [q["field"] for q in quotes] == ["body", "title"]  # the headline's last
        headline = quotes[1]
        assert headline["text"] == "We will not retreat" and headline["kind"] == "direct"
        assert first["title"][headline["start"] : headline["end"]] == headline["text"]
        assert headline["speaker_text"] == "Blair" and headline["speaker"] == "Tony Blair"
        assert first["title"][headline["speaker_start"] : headline["speaker_end"]] == "Blair"
        blair = headline["speaker_entity_id"]
        assert blair is not None
        said = client.get(f"/api/v1/entities/{blair}/quotes").json()["items"]
        assert headline["id"] in [q["id"] for q in said]
        found = client.get("/api/v1/quotes", params={"q": "retreat"}).json()["items"]
        assert [q["id"] for q in found] == [headline["id"]]
        assert found[0]["field"] == "title"
        # paging by cursor keeps the order: the body's quote, then the headline's
        page = client.get(f"/api/v1/articles/{first['id']}/quotes?limit=1").json()
        rest = client.get(
            f"/api/v1/articles/{first['id']}/quotes?limit=1&cursor={page['next_cursor']}"
        )
        assert [q["field"] for q in page["items"] + rest.json()["items"]] == ["body", "title"]
        lead = articles["h2"]
        quotes = client.get(f"/api/v1/articles/{lead['id']}/quotes").json()["items"]
        assert quotes and {q["field"] for q in quotes} == {"body"}


def test_field_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["QuotePublic"]
    assert schema["properties"]["field"]["enum"] == ["title", "body"]
