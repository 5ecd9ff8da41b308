"""Annotation outside the write transaction, on several processes, and writers that share one
SQLite file: two `corpus ingest` runs at once both finish, and nothing is lost (issue 8)."""

import sqlite3
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.engines.connect import create_db_engine
from app.ingest import annotate
from app.ingest.run import ingest
from tests.ingest.test_durability import CORPUS, assert_consistent, env, stored_ids, write_input
from tests.ingest.test_pipeline import write_jsonl


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


def database(engine: Engine) -> Path:
    assert engine.url.database
    return Path(engine.url.database)


def test_no_lock_is_held_while_annotating(
    engine: Engine, tmp_path: Path, blank_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = tmp_path / "feed.jsonl"
    write_input(feed, 30)
    real = annotate.annotate_in_parts
    calls = []

    def annotate_and_write(texts: Sequence[str], **kwargs: object):  # type: ignore[no-untyped-def]
        # another writer can take the write lock at once while the ingest annotates
        with sqlite3.connect(database(engine), timeout=0) as other:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        calls.append(len(texts))
        return real(texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(annotate, "annotate_in_parts", annotate_and_write)
    report = ingest([feed], engine=engine, model=blank_model, batch_size=10)
    assert (report.added, report.failed, calls) == (30, 0, [10, 10, 10])


def test_a_batch_waits_for_another_writers_lock(
    db_url: str, tmp_path: Path, blank_model: str
) -> None:
    """A writer holds the lock 1.5 s, far past the 50 ms busy timeout: the batch is retried."""
    feed = tmp_path / "feed.jsonl"
    ids = write_input(feed, 40)
    engine = create_db_engine(db_url, busy_timeout_ms=50)
    other = sqlite3.connect(database(engine), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, other.rollback)
    release.start()
    try:
        report = ingest([feed], engine=engine, model=blank_model, batch_size=10)
    finally:
        release.join()
        other.close()
    assert (report.added, report.failed) == (40, 0)
    assert stored_ids(database(engine)) == ids


class TestWorkers:
    def test_two_workers_store_in_input_order(
        self, engine: Engine, tmp_path: Path, blank_model: str
    ) -> None:
        feed = tmp_path / "feed.jsonl"
        ids = write_input(feed, 200)
        report = ingest([feed], engine=engine, model=blank_model, batch_size=16, workers=2)
        assert (report.added, report.failed) == (200, 0)
        assert stored_ids(database(engine)) == ids
        assert_consistent(database(engine))
        again = ingest([feed], engine=engine, model=blank_model, batch_size=16, workers=2)
        assert (again.added, again.unchanged) == (0, 200)

    def test_a_text_a_worker_cannot_annotate_costs_only_itself(
        self, engine: Engine, tmp_path: Path, blank_model: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real = annotate.annotate_in_parts

        def failing(texts: Sequence[str], **kwargs: object):  # type: ignore[no-untyped-def]
            if any("BOOM" in text for text in texts):
                raise ValueError("cannot parse")
            return real(texts, **kwargs)  # type: ignore[arg-type]

        # the workers are forks of this process, so they see the patch
        monkeypatch.setattr(annotate, "annotate_in_parts", failing)
        bodies = [f"Story {n} about the harbour wall, told again." for n in range(9)]
        bodies[4] = "A story that goes BOOM in the parser."
        feed = write_jsonl(
            tmp_path / "feed.jsonl", [{"id": str(n), "body": b} for n, b in enumerate(bodies)]
        )
        report = ingest([feed], engine=engine, model=blank_model, batch_size=4, workers=2)
        assert (report.added, report.failed) == (8, 1)
        assert [str(e) for e in report.errors] == [
            f"{feed}:5: not stored: ValueError: cannot parse"
        ]
        assert stored_ids(database(engine)) == [str(n) for n in range(9) if n != 4]


def test_two_ingests_at_once_into_one_file(db_url: str, tmp_path: Path, blank_model: str) -> None:
    """Two processes, two inputs, one database, a busy timeout (50 ms) far shorter than the
    time they spend writing: both exit 0 and every article is stored once."""
    inputs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    expected = []
    for n, path in enumerate(inputs):
        ids = write_input(path, 300)
        # other ids and other texts (the same text under two ids would be a duplicate)
        text = path.read_text().replace('"r', f'"{"ab"[n]}').replace("Story", f"Story {n}")
        path.write_text(text)
        expected += [f"{'ab'[n]}{i[1:]}" for i in ids]
    environment = env(db_url, blank_model) | {"CORPUS_BUSY_TIMEOUT_MS": "50"}
    runs = [
        subprocess.Popen(
            [*CORPUS, "ingest", "--batch-size", "10", str(path)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in inputs
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    db = Path(db_url.removeprefix("sqlite:///"))
    stored = stored_ids(db)
    assert sorted(stored) == sorted(expected)  # each once
    for prefix in "ab":  # each run in its own input order
        mine = [i for i in stored if i.startswith(prefix)]
        assert mine == sorted(mine)
    assert_consistent(db)
