"""The seed article end to end: cleaned, ingested with the real model, served by the API."""

from fastapi.testclient import TestClient


def test_seed_is_cleaned(seeded_client: TestClient) -> None:
    [summary] = seeded_client.get("/api/v1/articles").json()["items"]
    article = seeded_client.get(f"/api/v1/articles/{summary['id']}").json()
    body = article["body"]
    assert not body.endswith("Top")  # trailing navigation residue
    assert "Ren Zhengfei, found and CEO of Huawei, said;\nTrade benefits" in body  # rejoined line
    assert "\n\n\n" not in body and not any(line.isspace() for line in body.split("\n"))
    assert article["title"].startswith("Huawei founder and CEO Ren Zhengfei")


def test_seed_entities(seeded_client: TestClient) -> None:
    entities = seeded_client.get("/api/v1/entities?limit=100").json()["items"]
    found = {(e["name"], e["type"]) for e in entities}
    assert {
        ("Ren Zhengfei", "PERSON"),
        ("Huawei", "ORG"),
        ("United States", "GPE"),
        ("China", "GPE"),
        ("Biden", "PERSON"),
    } <= found
    ren = next(e for e in entities if e["name"] == "Ren Zhengfei")
    assert "Zhengfei" in ren["aliases"]  # the surname alone joined the full name
    assert not any(e["name"] in ("Zhengfei", "US") for e in entities)


def test_seed_quotes_are_attributed_to_ren_zhengfei(seeded_client: TestClient) -> None:
    [article] = seeded_client.get("/api/v1/articles").json()["items"]
    detail = seeded_client.get(f"/api/v1/articles/{article['id']}").json()
    body, quotes = detail["body"], detail["quotes"]
    for quote in quotes:
        assert body[quote["start"] : quote["end"]] == quote["text"]
        if quote["speaker_start"] is not None:
            assert body[quote["speaker_start"] : quote["speaker_end"]] == quote["speaker_text"]

    [block] = [q for q in quotes if q["kind"] == "block"]
    assert block["text"].startswith("Trade benefits all sides.")
    assert block["text"].endswith("we'd be happy to talk.")
    assert block["speaker"] == "Ren Zhengfei" and block["cue"] == "said"

    # issue 9: the quoted phrase inside reported speech is one mixed quote over the clause
    [whirlpool] = [q for q in quotes if "“political whirlpool”" in q["text"]]
    assert whirlpool["kind"] == "mixed" and whirlpool["speaker"] == "Ren Zhengfei"
    assert whirlpool["text"].startswith("Huawei doesn’t have the energy")
    assert whirlpool["speaker_text"] == "The executive" and whirlpool["confidence"] > 0

    ren = seeded_client.get("/api/v1/entities?name_prefix=Ren Zhengfei").json()["items"][0]
    said = seeded_client.get(f"/api/v1/entities/{ren['id']}/quotes").json()
    assert {q["id"] for q in said["items"]} >= {block["id"], whirlpool["id"]}
    assert all(q["speaker_entity_id"] == ren["id"] for q in said["items"])
    # ingestion stores the folded names that `speaker=` compares
    by_name = seeded_client.get("/api/v1/quotes?speaker=REN  zhengfei&limit=100").json()
    by_ren = {q["id"] for q in quotes if q["speaker"] == "Ren Zhengfei"}
    assert {q["id"] for q in by_name["items"]} == by_ren
    written = seeded_client.get("/api/v1/quotes?speaker=the executive").json()["items"]
    assert whirlpool["id"] in {q["id"] for q in written}


def test_seed_is_searchable(seeded_client: TestClient) -> None:
    hits = seeded_client.get("/api/v1/search?q=whirlpool").json()
    assert hits["total"] == 1 and "<mark>whirlpool</mark>" in hits["items"][0]["snippet"]
    quotes = seeded_client.get("/api/v1/quotes?q=win-win").json()
    assert quotes["total"] == 1 and quotes["items"][0]["kind"] == "block"
