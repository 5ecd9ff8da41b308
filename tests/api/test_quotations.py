"""Quotations (issue 19) on both engines: the same words carried by several outlets are one
quotation (a trimmed variant too) with first seen and speaker consensus, deletes and updates
regroup, concurrent ingests end in one quotation, and the endpoints answer."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.engines.connect import create_db_engine
from app.ingest import accept_record
from app.ingest.clean import PreparedArticle
from app.ingest.run import delete_article, ingest_records
from app.queries import quotations as queries
from tests.conftest import MODEL, make_client

WORDS = "We will rebuild the northern terminal before the end of the summer season"
OUTLETS = [
    # (id, source, published, body): two name Ellen Voss, one nobody, one Tom Hall, one trims it
    (
        "a",
        "Coast Herald",
        "2024-06-04",
        f'Harbour master Ellen Voss spoke on Tuesday.\n\nEllen Voss said: "{WORDS}."',
    ),
    ("b", "Daily Post", "2024-06-03", f'"{WORDS}," Ellen Voss told the council on Tuesday.'),
    (
        "c",
        "Valley Gazette",
        "2024-06-05",
        f'A notice went up at the harbour gate on Tuesday.\n\n"{WORDS}."',
    ),
    (
        "d",
        "Example Wire",
        "2024-06-05",
        f'Mayor Tom Hall spoke on Tuesday. Tom Hall said: "{WORDS}."',
    ),
    (
        "e",
        "Coast Herald",
        None,
        'The harbour master promised to finish "the northern terminal before the end of the '
        'summer season" in an interview.',
    ),
]


def record(article_id: str, source: str, published: str | None, body: str) -> dict[str, Any]:
    return {
        "id": article_id,
        "title": f"Terminal {article_id}",
        "body": body,
        "source": source,
        "published": published,
    }


RECORDS = [record(*o) for o in OUTLETS]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def store(engine: Engine, records: list[dict[str, Any]]) -> None:
    items = [accept_record(r, n) for n, r in enumerate(records, 1)]
    prepared = [i for i in items if isinstance(i, PreparedArticle)]
    report = ingest_records(prepared, engine=engine, model=MODEL)
    assert report.failed == 0, report.errors


def groups(engine: Engine) -> list[list[str]]:
    """Each quotation as the sorted source ids of its occurrences' articles."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT q.quotation_id, a.source_id FROM quote q JOIN article a "
                "ON a.id = q.article_id WHERE q.quotation_id IS NOT NULL"
            )
        ).all()
    grouped: dict[int, list[str]] = {}
    for quotation_id, source_id in rows:
        grouped.setdefault(quotation_id, []).append(source_id)
    return sorted(sorted(members) for members in grouped.values())


@pytest.fixture
def quoted(engine: Engine, db_url: str) -> Iterator[TestClient]:
    store(engine, RECORDS)
    with make_client(db_url) as client:
        yield client


def the_quotation(client: TestClient) -> dict[str, Any]:
    page = client.get("/api/v1/quotations", params={"min_occurrences": 2}).json()
    assert page["total"] == 1
    quotation: dict[str, Any] = page["items"][0]
    return quotation


class TestGrouping:
    def test_five_occurrences_one_quotation_with_its_speaker(self, quoted: TestClient) -> None:
        quotation = the_quotation(quoted)
        assert quotation["text"] == WORDS + "."
        assert quotation["occurrences"] == 5
        assert quotation["sources"] == 4
        assert quotation["first_seen"]["published"] == "2024-06-03"
        assert quotation["first_seen"]["source"] == "Daily Post"
        assert quotation["speaker"] == "Ellen Voss"
        assert quotation["speaker_share"] == pytest.approx(2 / 3)
        assert quotation["contested"] is True  # Tom Hall has a third of the attributions

    def test_quotes_carry_their_quotation(self, quoted: TestClient) -> None:
        quotation = the_quotation(quoted)
        article_id = quotation["first_seen"]["article_id"]
        quotes = quoted.get(f"/api/v1/articles/{article_id}/quotes").json()["items"]
        assert [q["quotation_id"] for q in quotes] == [quotation["id"]]

    def test_detail_lists_every_occurrence_earliest_first(self, quoted: TestClient) -> None:
        quotation = the_quotation(quoted)
        detail = quoted.get(f"/api/v1/quotations/{quotation['id']}").json()
        assert detail["occurrence_count"] == 5
        published = [o["published"] for o in detail["occurrences"]]
        assert published == ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-05", None]
        speakers = sorted(str(o["speaker"]) for o in detail["occurrences"])
        assert speakers == ["Ellen Voss", "Ellen Voss", "None", "None", "Tom Hall"]

    def test_occurrences_page_in_the_detail_order(
        self, quoted: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the detail embeds only the first occurrences; the count says how many there are
        monkeypatch.setattr(queries, "FIRST_OCCURRENCES", 2)
        url = f"/api/v1/quotations/{the_quotation(quoted)['id']}"
        detail = quoted.get(url).json()
        assert (len(detail["occurrences"]), detail["occurrence_count"]) == (2, 5)
        by_cursor, following = [], f"{url}/occurrences?limit=2"
        while following:
            page = quoted.get(following).json()
            assert page["total"] == 5
            by_cursor += page["items"]
            following = page["next"]
        by_offset = [
            item
            for offset in (0, 2, 4)
            for item in quoted.get(
                f"{url}/occurrences", params={"limit": 2, "offset": offset}
            ).json()["items"]
        ]
        assert by_cursor == by_offset
        assert by_cursor[:2] == detail["occurrences"]
        published = [o["published"] for o in by_cursor]
        assert published == ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-05", None]

    def test_an_entity_said_each_quotation_once(self, quoted: TestClient) -> None:
        people = quoted.get("/api/v1/entities", params={"type": "PERSON", "limit": 100}).json()
        ids = {e["name"]: e["id"] for e in people["items"]}
        said = quoted.get(f"/api/v1/entities/{ids['Ellen Voss']}/quotations").json()
        assert [q["occurrences"] for q in said["items"]] == [5]
        assert quoted.get(f"/api/v1/entities/{ids['Tom Hall']}/quotations").json()["total"] == 0

    def test_the_same_input_again_changes_nothing(self, quoted: TestClient, engine: Engine) -> None:
        before = the_quotation(quoted)
        store(engine, RECORDS)
        assert the_quotation(quoted) == before

    def test_deletes_and_updates_regroup(self, quoted: TestClient, engine: Engine) -> None:
        with engine.connect() as connection:
            hall = connection.execute(
                text("SELECT id FROM article WHERE source_id = 'd'")
            ).scalar_one()
        assert delete_article(engine, hall)
        quotation = the_quotation(quoted)
        assert (quotation["occurrences"], quotation["contested"]) == (4, False)
        assert quotation["speaker_share"] == 1.0
        # the earliest occurrence now quotes something else
        store(
            engine,
            [
                {
                    **RECORDS[1],
                    "body": '"The cranes arrive next week from the yard," Ellen Voss said.',
                }
            ],
        )
        quotation = the_quotation(quoted)
        assert quotation["occurrences"] == 3
        assert quotation["first_seen"]["published"] == "2024-06-04"
        assert groups(engine) == [["a", "c", "e"], ["b"]]

    def test_concurrent_ingests_end_in_one_quotation(self, db_url: str) -> None:
        engines = [create_db_engine(db_url) for _ in range(2)]
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(engine: Engine, records: list[dict[str, Any]]) -> None:
            try:
                items = [accept_record(r, n) for n, r in enumerate(records, 1)]
                start.wait()
                for item in items:
                    assert isinstance(item, PreparedArticle)
                    ingest_records([item], engine=engine, model=MODEL)
            except BaseException as exc:  # noqa: BLE001 (reported by the test)
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(engines[0], RECORDS[0::2])),
            threading.Thread(target=run, args=(engines[1], RECORDS[1::2])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert groups(engines[0]) == [["a", "b", "c", "d", "e"]]
        for engine in engines:
            engine.dispose()


class TestQuotationEndpoints:
    @pytest.mark.parametrize(
        ("params", "total"),
        [
            ({}, 1),
            ({"q": "terminal"}, 1),
            ({"q": "cranes"}, 0),
            ({"speaker": "ELLEN voss"}, 1),
            ({"speaker": "Tom Hall"}, 0),
            ({"source": "Example Wire"}, 1),
            ({"source": "Nowhere"}, 0),
            ({"contested": "true"}, 1),
            ({"contested": "false"}, 0),
            ({"min_occurrences": 6}, 0),
            ({"published_from": "2024-06-04"}, 0),
            ({"published_to": "2024-06-03"}, 1),
            ({"sort": "first_seen"}, 1),
            ({"sort": "-first_seen"}, 1),
        ],
    )
    def test_filters(self, quoted: TestClient, params: dict[str, Any], total: int) -> None:
        assert quoted.get("/api/v1/quotations", params=params).json()["total"] == total

    def test_exports(self, quoted: TestClient) -> None:
        response = quoted.get("/api/v1/quotations", params={"format": "ndjson"})
        assert response.headers["content-type"].startswith("application/x-ndjson")
        assert [line.count('"occurrences": 5') for line in response.text.splitlines()] == [1]
        csv = quoted.get("/api/v1/quotations", params={"format": "csv"}).text.splitlines()
        assert csv[0].startswith("id,text,first_seen,") and len(csv) == 2

    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/api/v1/quotations/999999", 404),
            ("/api/v1/quotations/0", 422),
            ("/api/v1/quotations?min_occurrences=0", 422),
            ("/api/v1/quotations?sort=occurrences", 422),
            ("/api/v1/quotations?q=%22open", 400),
            ("/api/v1/entities/999999/quotations", 404),
            ("/api/v1/quotations/999999/occurrences", 404),
            ("/api/v1/quotations/1/occurrences?cursor=bogus", 422),
            ("/api/v1/quotations/1/occurrences?cursor=W251bGxd&offset=2", 422),
        ],
    )
    def test_bad_requests_are_problems(self, quoted: TestClient, path: str, status: int) -> None:
        response = quoted.get(path)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
