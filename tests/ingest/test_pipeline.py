"""Ingestion runs: idempotence, updates, duplicates, bad records and whole-batch transactions."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.engines.connect import create_db_engine
from app.ingest import store
from app.ingest.record import IngestAborted
from app.ingest.run import ingest
from tests.conftest import MODEL, SEEDS

TABLES = ("article", "entity", "mention", "quote", "article_fts", "quote_fts")


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(
                f"SELECT * FROM {table} ORDER BY rowid"
                if not table.endswith("fts")
                else f"SELECT rowid, * FROM {table} ORDER BY rowid"
            ).fetchall()
            for table in TABLES
        }


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


def test_seeds_twice_changes_nothing(engine: Engine) -> None:
    first = ingest([SEEDS], engine=engine, model=MODEL)
    before = snapshot(engine)
    second = ingest([SEEDS], engine=engine, model=MODEL)
    assert (first.added, first.failed) == (1, 0)
    assert (second.seen, second.unchanged, second.added, second.updated) == (1, 1, 0, 0)
    assert snapshot(engine) == before


def test_quotes_are_stored_with_their_confidence(engine: Engine, tmp_path: Path) -> None:
    text = (
        '"The harbour will reopen in May," Mara Quint said on Tuesday. '
        'The sign on the gate read: "Closed until further notice by order of the board."'
    )
    source = write_jsonl(tmp_path / "one.jsonl", [{"id": "c1", "title": "Harbour", "body": text}])
    ingest([source], engine=engine, model=MODEL)
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT speaker, confidence FROM quote ORDER BY start").fetchall()
    assert rows == [("Mara Quint", 0.95), (None, 0.0)]


def test_changed_body_updates_and_reextracts(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    old = {"id": "s1", "title": "Vote", "body": 'Maria Lopez said: "We have won the vote."'}
    write_jsonl(feed, [old])
    ingest([feed], engine=engine, model=MODEL)
    new = {**old, "body": 'Peter Brandt said: "We lost the vote narrowly."'}
    write_jsonl(feed, [new])
    report = ingest([feed], engine=engine, model=MODEL)
    assert (report.updated, report.added) == (1, 0)
    rows = snapshot(engine)
    assert len(rows["article"]) == 1
    speakers = {row[7] for row in rows["quote"]}  # quote.speaker
    assert speakers == {"Peter Brandt"}
    entity_names = {row[1] for row in rows["entity"]}
    assert "Maria Lopez" not in entity_names  # an entity left without mentions is removed
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'won'")
        assert found.fetchone()[0] == 0


def test_same_text_under_another_name_is_a_duplicate(engine: Engine, tmp_path: Path) -> None:
    record = {"title": "Storm", "body": "A storm hit the coast on Friday."}
    a = write_jsonl(tmp_path / "a.jsonl", [{**record, "id": "one"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{**record, "id": "two"}, {**record, "id": "three"}])
    report = ingest([a, b], engine=engine, model=MODEL, batch_size=1)
    assert (report.added, report.duplicate) == (1, 2)
    assert "same text as 'one'" in report.duplicates[0]
    report = ingest([b], engine=engine, model=MODEL)  # duplicates inside one batch, too
    assert report.duplicate == 2
    assert len(snapshot(engine)["article"]) == 1


def test_bad_records_are_reported_and_the_rest_stored(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    feed = folder / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "ok", "body": "Fine text."})
        + "\n{broken\n"
        + json.dumps({"id": "empty", "body": "   \n Top \n"})
        + "\n",
        encoding="utf-8",
    )
    (folder / "image.png").write_bytes(b"\x89PNG")
    report = ingest([folder], engine=engine, model=MODEL)
    assert (report.seen, report.added, report.failed) == (4, 1, 3)
    described = sorted(str(e) for e in report.errors)
    assert described == sorted(
        [
            f"{feed}:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
            f"{feed}:3: body is empty after cleaning",
            f"{folder / 'image.png'}: unknown file extension '.png'",
        ]
    )


def test_strict_stores_what_came_before_and_stops(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "a", "body": "Fine text."})
        + "\n{broken\n"
        + json.dumps({"id": "b", "body": "Never read."})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestAborted, match=":2: invalid JSON"):
        ingest([feed], engine=engine, model=MODEL, strict=True)
    assert [row[1] for row in snapshot(engine)["article"]] == ["a"]


def test_one_id_twice_in_the_input_is_a_failure_and_reruns_are_stable(
    engine: Engine, tmp_path: Path
) -> None:
    feed = write_jsonl(
        tmp_path / "feed.jsonl",
        [{"id": "x", "body": "First text."}, {"id": "x", "body": "Second text."}],
    )
    first = ingest([feed], engine=engine, model=MODEL)
    assert (first.added, first.failed) == (1, 1)
    assert "duplicate id 'x' in the input (first at" in str(first.errors[0])
    before = snapshot(engine)
    again = ingest([feed], engine=engine, model=MODEL)
    assert (again.unchanged, again.updated, again.added) == (1, 0, 0)
    assert snapshot(engine) == before


def test_text_moving_between_records_in_one_batch(engine: Engine, tmp_path: Path) -> None:
    """A's old text arriving under C while A changes is a new article, not a duplicate."""
    ingest(
        [write_jsonl(tmp_path / "a.jsonl", [{"id": "A", "body": "Old words."}])],
        engine=engine,
        model=MODEL,
    )
    feed = write_jsonl(
        tmp_path / "b.jsonl",
        [{"id": "C", "body": "Old words."}, {"id": "A", "body": "New words."}],
    )
    report = ingest([feed], engine=engine, model=MODEL)
    assert (report.added, report.updated, report.duplicate) == (1, 1, 0)
    again = ingest([feed], engine=engine, model=MODEL)
    assert again.unchanged == 2


def test_changed_metadata_updates_without_reextracting(engine: Engine, tmp_path: Path) -> None:
    record = {"id": "m", "body": 'Maria Lopez said: "We have won the vote."', "author": "A"}
    ingest([write_jsonl(tmp_path / "f.jsonl", [record])], engine=engine, model=MODEL)
    quotes_before = snapshot(engine)["quote"]
    report = ingest(
        [write_jsonl(tmp_path / "f.jsonl", [{**record, "author": "B", "date": "2021-05-06"}])],
        engine=engine,
        model=MODEL,
    )
    assert (report.updated, report.unchanged) == (1, 0)
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT author, published FROM article").fetchone()
    assert row == ("B", "2021-05-06")
    assert snapshot(engine)["quote"] == quotes_before


def test_a_failing_article_costs_only_itself(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch fails as a whole, then each article is stored alone: only the bad one fails,
    and it leaves nothing behind (no article, quote or mention)."""
    feed = write_jsonl(
        tmp_path / "feed.jsonl",
        [{"id": str(n), "body": f'Story {n}: Maria Lopez said: "We won {n}."'} for n in range(3)],
    )
    real_save = store.save_article

    def failing_save(session, item, *args, **kwargs):  # type: ignore[no-untyped-def]
        if item.raw.source_id == "1":
            raise RuntimeError("disk full")
        return real_save(session, item, *args, **kwargs)

    monkeypatch.setattr(store, "save_article", failing_save)
    report = ingest([feed], engine=engine, model=MODEL)
    assert (report.added, report.failed) == (2, 1)
    assert [str(e) for e in report.errors] == [f"{feed}:2: not stored: RuntimeError: disk full"]
    rows = snapshot(engine)
    assert [row[1] for row in rows["article"]] == ["0", "2"]
    stored_ids = {row[0] for row in rows["article"]}
    assert {row[1] for row in rows["quote"]} == stored_ids  # quote.article_id
