"""Stories (issue 19) on both engines: syndicated copies join one story whatever their
boilerplate, different articles on the same event stay apart, updates and deletes move articles
between stories, concurrent ingests of copies end in one story, and the endpoints answer."""

import json
import math
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
from app.queries import stories as queries
from tests.conftest import MODEL, make_client
from tests.corpus.syndicated import WIRE, body, outlets, same_event


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def store(engine: Engine, records: list[dict[str, Any]]) -> None:
    items = [accept_record(record, n) for n, record in enumerate(records, 1)]
    prepared = [i for i in items if isinstance(i, PreparedArticle)]
    assert len(prepared) == len(records)
    report = ingest_records(prepared, engine=engine, model=MODEL)
    assert report.failed == 0, report.errors


def stories(engine: Engine) -> dict[frozenset[str], int]:
    """Each story as the set of its articles' source ids, with its id."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT sa.story_id, a.source_id FROM story_article sa "
                "JOIN article a ON a.id = sa.article_id"
            )
        ).all()
        unplaced = connection.execute(
            text(
                "SELECT count(*) FROM article "
                "WHERE id NOT IN (SELECT article_id FROM story_article)"
            )
        ).scalar_one()
    assert unplaced == 0
    grouped: dict[int, set[str]] = {}
    for story_id, source_id in rows:
        grouped.setdefault(story_id, set()).add(source_id)
    return {frozenset(members): story_id for story_id, members in grouped.items()}


SAID = "The cranes come back in August."


def quotation_counts(engine: Engine) -> list[tuple[int, int]]:
    """(occurrences, stories) of each quotation, checked against a count from the tables."""
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT id, occurrences, source_count, story_count FROM quotation ORDER BY id")
        ).all()
        counted = connection.execute(
            text(
                "SELECT q.quotation_id, count(*), count(DISTINCT a.source), "
                "count(DISTINCT sa.story_id) FROM quote q JOIN article a ON a.id = q.article_id "
                "LEFT JOIN story_article sa ON sa.article_id = a.id "
                "WHERE q.quotation_id IS NOT NULL GROUP BY q.quotation_id ORDER BY q.quotation_id"
            )
        ).all()
    assert [tuple(row) for row in stored] == [tuple(row) for row in counted]
    return [(row.occurrences, row.story_count) for row in stored]


COPIES = frozenset({"wire-1", "herald-1", "gazette-1", "post-1"})
APART = [frozenset({"event-1"}), frozenset({"event-2"})]


@pytest.fixture
def syndicated(engine: Engine, db_url: str) -> Iterator[TestClient]:
    store(engine, outlets() + same_event())
    with make_client(db_url) as client:
        yield client


class TestAssignment:
    def test_copies_join_one_story_and_the_same_event_stays_apart(
        self, syndicated: TestClient, engine: Engine
    ) -> None:
        assert set(stories(engine)) == {COPIES, *APART}

    def test_the_same_input_again_changes_nothing(
        self, syndicated: TestClient, engine: Engine
    ) -> None:
        before = stories(engine)
        store(engine, outlets() + same_event())
        assert stories(engine) == before

    def test_an_updated_body_moves_the_article_between_stories(
        self, syndicated: TestClient, engine: Engine
    ) -> None:
        moved = {**outlets()[3], "body": same_event()[0]["body"]}
        store(engine, [moved])
        assert set(stories(engine)) == {
            COPIES - {"post-1"},
            frozenset({"event-1", "post-1"}),
            APART[1],
        }
        store(engine, [outlets()[3]])  # and back
        assert set(stories(engine)) == {COPIES, *APART}

    def test_deleting_a_bridge_splits_its_story(self, engine: Engine) -> None:
        # a~b and b~c share 3 of 5 paragraphs; a and c share 2 of 6, too few to be a story;
        # a and c quote the same words, so the quotation's stories follow the merge and split
        parts = WIRE[:6]
        records = [
            {"id": name, "title": name, "body": body(parts[i : i + 4]), "published": "2024-06-01"}
            for i, name in enumerate(["a", "b", "c"])
        ]
        for quoting in (records[0], records[2]):
            quoting["body"] += f'\n\nEllen Voss said: "{SAID}"'
        store(engine, [records[0], records[2]])
        assert set(stories(engine)) == {frozenset("a"), frozenset("c")}
        assert quotation_counts(engine) == [(2, 2)]
        store(engine, [records[1]])  # the bridge merges the two stories
        assert set(stories(engine)) == {frozenset("abc")}
        assert quotation_counts(engine) == [(2, 1)]
        with engine.connect() as connection:
            b_id = connection.execute(
                text("SELECT id FROM article WHERE source_id = 'b'")
            ).scalar_one()
        assert delete_article(engine, b_id)
        assert set(stories(engine)) == {frozenset("a"), frozenset("c")}
        assert quotation_counts(engine) == [(2, 2)]

    @pytest.mark.parametrize("stored_sets", [True, False], ids=["stored sets", "from bodies"])
    def test_every_candidate_judged_exactly_finds_the_same_stories(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch, stored_sets: bool
    ) -> None:
        """With no margin every candidate is judged by its real similarity: from the stored
        shingle set, or, for a row stored before sets were, from its body."""
        from app.corpus import shingles

        monkeypatch.setattr(shingles, "MARGIN", 1.0)
        first, rest = outlets()[:1], outlets()[1:] + same_event()
        store(engine, first)
        if not stored_sets:
            with engine.begin() as connection:
                connection.execute(text("UPDATE story_signature SET shingles = NULL"))
        store(engine, rest)
        assert set(stories(engine)) == {COPIES, *APART}

    def test_concurrent_ingests_of_copies_end_in_one_story(self, db_url: str) -> None:
        copies = outlets()
        engines = [create_db_engine(db_url) for _ in range(2)]
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(engine: Engine, records: list[dict[str, Any]]) -> None:
            try:
                items = [accept_record(r, n) for n, r in enumerate(records, 1)]
                prepared = [i for i in items if isinstance(i, PreparedArticle)]
                start.wait()
                for item in prepared:  # one transaction each: the two runs interleave
                    ingest_records([item], engine=engine, model=MODEL)
            except BaseException as exc:  # noqa: BLE001 (reported by the test)
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(engines[0], copies[0::2])),
            threading.Thread(target=run, args=(engines[1], copies[1::2])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert set(stories(engines[0])) == {COPIES}
        for engine in engines:
            engine.dispose()


class TestStoryEndpoints:
    def _copies_story(self, client: TestClient) -> dict[str, Any]:
        page = client.get("/api/v1/stories", params={"min_size": 2}).json()
        assert page["total"] == 1
        story: dict[str, Any] = page["items"][0]
        return story

    def test_list_and_detail(self, syndicated: TestClient) -> None:
        story = self._copies_story(syndicated)
        assert story["size"] == 4 and story["source_count"] == 4
        assert story["first_published"] == "2024-06-03"
        assert story["title"] == "Storm damage shuts harbour terminal"
        detail = syndicated.get(f"/api/v1/stories/{story['id']}").json()
        assert detail["sources"] == ["Coast Herald", "Daily Post", "Example Wire", "Valley Gazette"]
        published = [a["published"] for a in detail["articles"]]
        assert published == ["2024-06-03", "2024-06-04", "2024-06-04", "2024-06-05"]
        # a tie on the date goes to the lower id
        tied = [a["id"] for a in detail["articles"] if a["published"] == "2024-06-04"]
        assert tied == sorted(tied)
        assert set(detail["articles"][0]) == {"id", "title", "source", "published", "url"}

    def test_articles_page_in_the_detail_order(
        self, syndicated: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the detail embeds only the first articles; its size and sources are the whole story's
        monkeypatch.setattr(queries, "FIRST_ARTICLES", 1)
        url = f"/api/v1/stories/{self._copies_story(syndicated)['id']}"
        detail = syndicated.get(url).json()
        assert (len(detail["articles"]), detail["size"], len(detail["sources"])) == (1, 4, 4)
        by_cursor, following = [], f"{url}/articles?limit=3"
        while following:
            page = syndicated.get(following).json()
            assert page["total"] == 4
            by_cursor += page["items"]
            following = page["next"]
        second = syndicated.get(f"{url}/articles", params={"limit": 3, "offset": 3}).json()
        assert by_cursor[3:] == second["items"] and by_cursor[:1] == detail["articles"]
        published = [a["published"] for a in by_cursor]
        assert published == ["2024-06-03", "2024-06-04", "2024-06-04", "2024-06-05"]
        missing = syndicated.get("/api/v1/stories/999999/articles")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

    def test_articles_carry_their_story(self, syndicated: TestClient) -> None:
        story = self._copies_story(syndicated)
        article = syndicated.get(f"/api/v1/articles/{story['first_article_id']}").json()
        assert (article["story_id"], article["story_size"]) == (story["id"], 4)
        listed = syndicated.get("/api/v1/articles", params={"limit": 100}).json()["items"]
        assert sorted(a["story_size"] for a in listed) == [1, 1, 4, 4, 4, 4]

    def test_entities_count_their_stories(self, syndicated: TestClient) -> None:
        # Ellen Voss is in the four copies and in one of the two other articles
        found = syndicated.get("/api/v1/entities", params={"q": "ellen voss"}).json()["items"]
        [voss] = [e for e in found if e["name"] == "Ellen Voss"]
        assert (voss["article_count"], voss["story_count"]) == (5, 2)
        detail = syndicated.get(f"/api/v1/entities/{voss['id']}").json()
        assert (detail["article_count"], detail["story_count"]) == (5, 2)
        export = syndicated.get("/api/v1/entities", params={"format": "ndjson", "q": "ellen voss"})
        assert '"story_count": 2' in export.text

    def test_co_occurrence_over_stories_counts_copies_once(self, syndicated: TestClient) -> None:
        found = syndicated.get("/api/v1/entities", params={"q": "ellen voss"}).json()["items"]
        [voss] = [e for e in found if e["name"] == "Ellen Voss"]
        by_article = syndicated.get(f"/api/v1/entities/{voss['id']}").json()["related"]
        by_story = syndicated.get(
            f"/api/v1/entities/{voss['id']}", params={"related_by": "story"}
        ).json()["related"]
        assert by_story and all(r["stories"] is None for r in by_article)
        stories = syndicated.get("/api/v1/stories").json()["total"]
        for related in by_story:
            other = syndicated.get(f"/api/v1/entities/{related['id']}").json()
            # Voss is in two stories (the copies and one other): no more shared than that
            assert 1 <= related["stories"] <= min(2, other["story_count"])
            assert related["stories"] <= related["articles"]
            expected = math.log(
                stories * related["stories"] / (2 * max(other["story_count"], related["stories"]))
            )
            assert related["pmi"] == pytest.approx(expected, abs=1e-4)
        # an entity of the wire story only: four articles together, but one story
        copies_only = [r for r in by_story if r["articles"] == 4 and r["stories"] == 1]
        assert copies_only
        bad = syndicated.get(f"/api/v1/entities/{voss['id']}", params={"related_by": "outlet"})
        assert bad.status_code == 422

    @pytest.mark.parametrize(
        ("params", "sizes"),
        [
            ({}, [4, 1, 1]),
            ({"min_size": 2}, [4]),
            ({"source": "Valley Gazette"}, [4]),
            ({"source": "Coast Herald"}, [4, 1, 1]),
            ({"q": "cranes"}, [4, 1]),
            ({"q": "insurance"}, [4]),
            ({"q": "bookings"}, [1]),
            ({"published_from": "2024-06-04"}, [1, 1]),
            ({"published_to": "2024-06-03"}, [4]),
            ({"sort": "first_published"}, [4, 1, 1]),
            ({"sort": "-first_published"}, [1, 1, 4]),
        ],
    )
    def test_filters_and_sorts(
        self, syndicated: TestClient, params: dict[str, Any], sizes: list[int]
    ) -> None:
        page = syndicated.get("/api/v1/stories", params=params).json()
        assert [s["size"] for s in page["items"]] == sizes
        assert page["total"] == len(sizes)

    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/api/v1/stories/999999", 404),
            ("/api/v1/stories/0", 422),
            ("/api/v1/stories?min_size=0", 422),
            ("/api/v1/stories?sort=size", 422),
            ("/api/v1/stories?q=%22unbalanced", 400),
            # a number is not a date (pydantic would read it as a Unix timestamp)
            ("/api/v1/stories?published_to=0.0", 422),
            ("/api/v1/quotations?published_from=1700000000", 422),
            ("/api/v1/articles?published_from=0", 422),
            ("/api/v1/search?q=terminal&published_to=12", 422),
        ],
    )
    def test_bad_requests_are_problems(
        self, syndicated: TestClient, path: str, status: int
    ) -> None:
        response = syndicated.get(path)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"


class TestCollapsedSearch:
    """``search?collapse=story``: one hit per story, stories counted in totals and facets."""

    @pytest.mark.parametrize("sort", ["relevance", "published", "-published"])
    def test_one_hit_per_story(self, syndicated: TestClient, sort: str) -> None:
        params = {"q": "terminal", "sort": sort, "facet": "source"}
        plain = syndicated.get("/api/v1/search", params=params).json()
        collapsed = syndicated.get("/api/v1/search", params={**params, "collapse": "story"}).json()
        stories = {hit["story_id"] for hit in plain["items"]}
        assert len(stories) < plain["total"]  # the copies match, and one other article
        assert collapsed["total"] == len(stories)
        assert len({hit["story_id"] for hit in collapsed["items"]}) == len(collapsed["items"])
        assert {hit["story_id"] for hit in collapsed["items"]} == stories
        # each story's hit is its first in the order asked for
        first_of: dict[int, int] = {}
        for hit in plain["items"]:
            first_of.setdefault(hit["story_id"], hit["id"])
        assert [hit["id"] for hit in collapsed["items"]] == list(first_of.values())
        sizes = {hit["story_id"]: hit["story_size"] for hit in plain["items"]}
        assert all(hit["story_size"] == sizes[hit["story_id"]] for hit in collapsed["items"])
        # the facets count stories, each once, by its hit
        assert sum(f["count"] for f in collapsed["facets"]["source"]) == collapsed["total"]
        assert sum(f["count"] for f in plain["facets"]["source"]) == plain["total"]

    def test_pages_and_filters(self, syndicated: TestClient) -> None:
        search = {"q": "terminal", "collapse": "story"}
        everything = syndicated.get("/api/v1/search", params=search).json()
        first = syndicated.get("/api/v1/search", params={**search, "limit": 1}).json()
        second = syndicated.get("/api/v1/search", params={**search, "limit": 1, "offset": 1}).json()
        assert [first["items"][0]["id"], second["items"][0]["id"]] == [
            hit["id"] for hit in everything["items"][:2]
        ]
        past = syndicated.get("/api/v1/search", params={**search, "offset": 50}).json()
        assert (past["items"], past["total"]) == ([], everything["total"])
        gazette = syndicated.get(
            "/api/v1/search", params={**search, "source": "Valley Gazette"}
        ).json()
        assert gazette["total"] == 1 and gazette["items"][0]["source"] == "Valley Gazette"

    def test_the_export_collapses_too(self, syndicated: TestClient) -> None:
        search = {"q": "terminal", "collapse": "story"}
        page = syndicated.get("/api/v1/search", params=search).json()
        lines = syndicated.get("/api/v1/search", params={**search, "format": "ndjson"}).text
        exported = [json.loads(line) for line in lines.splitlines()]
        assert [(h["id"], h["story_size"]) for h in exported] == [
            (h["id"], h["story_size"]) for h in page["items"]
        ]

    def test_an_unknown_collapse_is_a_problem(self, syndicated: TestClient) -> None:
        response = syndicated.get("/api/v1/search", params={"q": "terminal", "collapse": "x"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
