"""Integration: the whole shared development corpus ingests, and a second run is a no-op.

Skipped when ../shared/corpus is absent; the corpus text never enters this repository.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from app.engines.connect import create_db_engine
from app.ingest.run import ingest
from tests.conftest import MODEL, SHARED_CORPUS, make_client

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus is not present"),
]


JSONL = SHARED_CORPUS / "articles.jsonl"


@pytest.fixture(scope="module")
def records() -> list[dict[str, str]]:
    return [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus_db(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, str]]
) -> Path:
    """The migrated database with all of articles.jsonl ingested once."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    path.write_bytes(migrated_template.read_bytes())
    engine = create_db_engine(f"sqlite:///{path}")
    # two worker processes, as `corpus ingest` runs on two cores (and in half the time)
    report = ingest([JSONL], engine=engine, model=MODEL, batch_size=128, workers=2)
    engine.dispose()
    assert (report.seen, report.added, report.failed, report.duplicate) == (
        len(records),
        len(records),
        0,
        0,
    )
    return path


def test_whole_corpus_ingests_and_reingests_as_a_no_op(
    corpus_db: Path, records: list[dict[str, str]]
) -> None:
    engine = create_db_engine(f"sqlite:///{corpus_db}")
    again = ingest([JSONL], engine=engine, model=MODEL)
    assert again.unchanged == len(records) and again.added == again.updated == 0
    engine.dispose()

    with sqlite3.connect(corpus_db) as db:
        by_source = dict(db.execute("SELECT source, count(*) FROM article GROUP BY source"))
        assert by_source == {
            "Wikinews": sum(r["source"] == "Wikinews" for r in records),
            "BBC News": sum(r["source"] == "BBC News" for r in records),
        }
        fts_rows = db.execute("SELECT count(*) FROM article_fts").fetchone()[0]
        assert fts_rows == len(records)
        quotes = db.execute("SELECT count(*) FROM quote").fetchone()[0]
        with_quote_marks = sum('"' in r["body"] or "“" in r["body"] for r in records)
        assert quotes > with_quote_marks  # most articles with quotation marks yield quotes
        # a quote's offsets index its field: the body, or the title for a headline's (issue 20)
        bad_offsets = db.execute(
            "SELECT count(*) FROM quote JOIN article ON article.id = quote.article_id WHERE "
            "substr(CASE quote.field WHEN 'title' THEN article.title ELSE article.body END, "
            "quote.start + 1, quote.end - quote.start) != quote.text"
        ).fetchone()[0]
        assert bad_offsets == 0
        bad_mentions = db.execute(
            "SELECT count(*) FROM mention JOIN article ON article.id = mention.article_id "
            "WHERE substr(article.body, mention.start + 1, mention.end - mention.start) "
            "!= mention.text"
        ).fetchone()[0]
        assert bad_mentions == 0
        # an entity merged into another (one person, one entity) keeps its id, not its mentions
        orphans = db.execute(
            "SELECT count(*) FROM entity WHERE mention_count = 0 AND merged_into IS NULL"
        ).fetchone()[0]
        assert orphans == 0


def test_raw_files_ingest_with_duplicates_reported(corpus_db: Path) -> None:
    """Every raw file parses (the cp1252 one too); the BBC pair duplicates are recognised."""
    engine = create_db_engine(f"sqlite:///{corpus_db}")
    report = ingest([SHARED_CORPUS / "raw"], engine=engine, model=MODEL, batch_size=128)
    engine.dispose()
    assert report.failed == 0, [str(e) for e in report.errors]
    assert any("sport/020.txt" in d and "bbc-sport-012" in d for d in report.duplicates)
    assert any("tech/036.txt" in d and "bbc-tech-003" in d for d in report.duplicates)
    # decoded as cp1252, the raw file is the same text as the JSONL record
    assert any("sport/199.txt" in d and "bbc-sport-199" in d for d in report.duplicates)


def test_search_over_the_corpus(corpus_db: Path) -> None:
    with make_client(f"sqlite:///{corpus_db}") as client:
        hits = client.get("/api/v1/search", params={"q": "election", "limit": 5}).json()
        assert hits["total"] > 10 and len(hits["items"]) == 5
        assert all("<mark>" in hit["snippet"] for hit in hits["items"])
        scores = [hit["score"] for hit in hits["items"]]
        assert scores == sorted(scores, reverse=True)  # higher is better
        people = client.get("/api/v1/entities", params={"type": "PERSON", "limit": 5}).json()
        top = people["items"][0]
        said = client.get(f"/api/v1/entities/{top['id']}/quotes").json()
        assert all(q["speaker_entity_id"] == top["id"] for q in said["items"])
