"""The search index beside the database (``app.search.ranker``): it ranks big searches with
the engine's own meaning, keeps in step with writes and deletes, comes back when lost or
killed, and never shows what the table or the filters no longer hold."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.engines import common
from app.engines.connect import create_db_engine
from app.search import Ranker
from app.search.language import parse
from tests.conftest import make_client
from tests.factories import make_article

# every body holds "harbour"; some "storm", fewer "storm" twice
BODIES = [
    "The harbour was calm all week.",
    "A storm hit the harbour on Monday.",
    "Storm after storm kept the harbour shut.",
    "The harbour master spoke about the storm.",
    "Boats left the harbour early.",
    "Storm, storm and storm again at the harbour.",
]


@pytest.fixture
def ids(session: Session, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    # every search is big enough for the index (it ranks past this many matches)
    monkeypatch.setattr(common, "RANKER_FROM_MATCHES", 0)
    out = []
    for n, body in enumerate(BODIES):
        article = make_article(
            session, title=f"Report {n}", body=body, source="Wire A" if n % 2 else "Wire B"
        )
        assert article.id is not None
        out.append(article.id)
    return out


@pytest.fixture
def ranker(db_url: str, tmp_path: Path, ids: list[int]) -> Ranker:
    index = Ranker(tmp_path / "ranker")
    engine = create_db_engine(db_url)
    assert index.sync(engine) == len(BODIES)
    engine.dispose()
    return index


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = {"RANKER_PATH": str(tmp_path / "ranker"), "RESPONSE_CACHE_MB": 0}
    with make_client(db_url, RANKER_MIN_ARTICLES=0, **settings) as client:
        yield client


def _hits(client: TestClient, **params: object) -> list[int]:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["items"]]


def _exact(db_url: str, **params: object) -> list[int]:
    with make_client(db_url, RANKER_PATH="off", RESPONSE_CACHE_MB=0) as client:
        return _hits(client, **params)


@pytest.mark.parametrize(
    "query", ["storm", "harbour storm", "storm OR boats", "harbour -storm", '"harbour master"']
)
def test_the_index_finds_what_the_engine_finds(
    db_url: str, ranker: Ranker, ids: list[int], client: TestClient, query: str
) -> None:
    ranked = ranker.top(parse(query), 20)
    assert ranked is not None
    assert sorted(article for article, _ in ranked) == sorted(_exact(db_url, q=query))
    assert sorted(_hits(client, q=query)) == sorted(_exact(db_url, q=query))


def test_more_hits_rank_first(ranker: Ranker, ids: list[int]) -> None:
    ranked = ranker.top(parse("storm"), 20)
    assert ranked is not None
    # "storm" three times in a short body, then twice
    assert [article for article, _ in ranked][:2] == [ids[5], ids[2]]


def test_what_it_cannot_express_is_left_to_the_engine(ranker: Ranker) -> None:
    assert ranker.top(parse("NEAR(storm harbour, 2)"), 20) is None
    assert ranker.top(parse("stor*"), 20) is not None


def test_filters_and_deletes_are_checked_against_the_table(
    db_url: str, ranker: Ranker, ids: list[int], client: TestClient
) -> None:
    assert set(_hits(client, q="storm", source="Wire A")) == set(
        _exact(db_url, q="storm", source="Wire A")
    )
    engine = create_db_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM article WHERE id = :id"), {"id": ids[5]})
    # the index has not synced yet: the deleted article is still among its candidates
    assert ids[5] in [article for article, _ in ranker.top(parse("storm"), 20) or []]
    assert ids[5] not in _hits(client, q="storm")
    ranker.sync(engine)
    # the API's own thread may have taken the writer: its commit shows here a moment later
    deadline = time.monotonic() + 10
    while ids[5] in [article for article, _ in ranker.top(parse("storm"), 20) or []]:
        assert time.monotonic() < deadline, "the delete never reached the index"
        time.sleep(0.1)
    engine.dispose()


def test_it_catches_up_with_writes_and_comes_back_when_lost(
    db_url: str, ranker: Ranker, session: Session, tmp_path: Path
) -> None:
    engine = create_db_engine(db_url)
    new = make_article(session, title="Gale warning", body="A storm and a gale at the harbour.")
    changed = ranker.sync(engine)
    assert changed == 1
    assert new.id in [article for article, _ in ranker.top(parse("gale"), 20) or []]
    assert ranker.sync(engine) == 0  # nothing new
    # a sync killed after tantivy's commit but before its position was written: replayed
    (tmp_path / "ranker" / "position.json").write_text('{"seq": 0}')
    reopened = Ranker(tmp_path / "ranker")
    reopened.sync(engine)
    assert [a for a, _ in reopened.top(parse("gale"), 20) or []] == [new.id]
    # the folder lost: built again from the articles
    reopened.drop()
    assert reopened.top(parse("gale"), 20) is None  # never built: the engine ranks
    assert reopened.sync(engine) == len(BODIES) + 1
    assert [a for a, _ in reopened.top(parse("gale"), 20) or []] == [new.id]
    engine.dispose()


def test_the_api_builds_it_and_ranks_with_it(
    db_url: str, ids: list[int], client: TestClient, tmp_path: Path
) -> None:
    # the app's own thread builds the index (RANKER_MIN_ARTICLES=0) within a few syncs
    folder = tmp_path / "ranker"
    for _ in range(100):
        if (folder / "position.json").exists():
            break
        import time

        time.sleep(0.1)
    assert (folder / "position.json").exists()
    response = client.get("/api/v1/search", params={"q": "storm"}).json()
    assert [hit["id"] for hit in response["items"]][:2] == [ids[5], ids[2]]
    assert response["total"] == 4


def test_a_count_far_past_the_bound_is_left_to_the_index(
    db_url: str, ranker: Ranker, ids: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six articles hold "harbour": at twice a bound of 3 PostgreSQL does not count them
    (shown by three the index has not seen deleted yet), with a filter it does, and below
    twice the bound too. SQLite always counts (FTS5 stops at the bound by itself)."""
    from app.db import pagination

    assert [_count(ranker, query) for query in ("harbour", "storm")] == [6, 4]
    assert ranker.search(parse("NEAR(storm harbour, 2)"), 1, count=True) is None
    monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", 3)
    engine = create_db_engine(db_url)
    with engine.begin() as connection:
        for gone in (ids[0], ids[1], ids[4]):
            connection.execute(text("DELETE FROM article WHERE id = :id"), {"id": gone})
    engine.dispose()
    settings = {"RANKER_PATH": str(tmp_path / "ranker"), "RESPONSE_CACHE_MB": 0}
    # the index's writer held here: the API's thread cannot apply the deletes meanwhile
    writer = ranker.index.writer(heap_size=15_000_000)
    with make_client(db_url, RANKER_MIN_ARTICLES=0, **settings) as client:
        for sort in ("relevance", "-published"):
            _assert_totals(client, sort, db_url.startswith("postgresql"))
    writer.rollback()


def _count(ranker: Ranker, query: str) -> int | None:
    found = ranker.search(parse(query), 1, count=True)
    assert found is not None
    return found[1]


def _assert_totals(client: TestClient, sort: str, index_counts: bool) -> None:
    page = client.get("/api/v1/search", params={"q": "harbour", "sort": sort}).json()
    # three left, which the engine counts exactly; the index still holds six
    assert (page["total"], page["total_is_exact"]) == (3, not index_counts)
    filtered = {"q": "harbour", "sort": sort, "source": "Wire B"}
    page = client.get("/api/v1/search", params=filtered).json()
    assert (page["total"], page["total_is_exact"]) == (1, True)
    page = client.get("/api/v1/search", params={"q": "storm", "sort": sort}).json()
    assert (page["total"], page["total_is_exact"]) == (3, True)  # four in the index


def test_the_facets_sample_is_the_same_from_the_index(
    db_url: str, ranker: Ranker, ids: list[int], client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bound the facets count the matches added last: on PostgreSQL their ids come
    from the index when it is far past the bound, and they are the engine's own."""
    from app.api import search
    from app.db import pagination

    assert ranker.newest(parse("harbour"), 3) == sorted(ids)[-3:][::-1]
    assert ranker.newest(parse("NEAR(storm harbour, 2)"), 3) is None
    monkeypatch.setattr(pagination, "TOTAL_COUNTED_UP_TO", 2)
    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    params = {"q": "storm", "facet": ["source", "published_month"]}
    page = client.get("/api/v1/search", params=params).json()
    assert page["facet_sample"] == 2
    sources = {count["value"]: count["count"] for count in page["facets"]["source"]}
    # four hold "storm" (twice the bound); the last two, ids[3] and ids[5], are Wire A's
    assert sources == {"Wire A": 2}
    with make_client(db_url, RANKER_PATH="off", RESPONSE_CACHE_MB=0) as exact:
        assert exact.get("/api/v1/search", params=params).json()["facets"] == page["facets"]
