"""`corpus reannotate` (issue 20): stale articles are extracted again and end as a fresh ingest
leaves them (quotes, mentions, entity counts, quotations), also after a SIGKILL half way; on
both engines."""

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.engines.connect import create_db_engine
from app.ingest import reannotate
from app.ingest.run import ingest
from app.nlp import extraction_version
from tests.ingest.test_durability import CORPUS, env

_SNAPSHOT = {
    "quotes": 'SELECT a.source_id, q.field, q.kind, q.text, q.start, q."end", q.speaker, '
    "q.speaker_text, q.confidence, (SELECT text FROM quotation WHERE id = q.quotation_id) "
    "FROM quote q JOIN article a ON a.id = q.article_id",
    "mentions": "SELECT a.source_id, e.name, e.type, m.text, m.start FROM mention m "
    "JOIN article a ON a.id = m.article_id JOIN entity e ON e.id = m.entity_id",
    "entities": "SELECT name, type, article_count, mention_count FROM entity",
    "quotations": "SELECT text, occurrences, speaker FROM quotation",
    "stale": "SELECT source_id FROM article WHERE extraction IS NULL OR extraction != :version",
}


def write_articles(path: Path, count: int) -> None:
    """Articles of our own, each with a body quote and a quoted headline; every third repeats
    the words of the one before (so that quotations span articles)."""
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            words = f"We will rebuild wall {n - n % 3} by June"
            record = {
                "id": f"a{n:04d}",
                "title": f"Mayor: 'The harbour wall {n} will stand'",
                "body": f'Story {n} about the harbour wall. "{words}," she said.',
            }
            handle.write(json.dumps(record) + "\n")


def snapshot(engine: Engine, model: str) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(
                tuple(row)
                for row in connection.execute(
                    text(sql), {"version": extraction_version(model)} if ":version" in sql else {}
                )
            )
            for name, sql in _SNAPSHOT.items()
        }


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh(tmp_path: Path, blank_model: str) -> dict[str, list[tuple[Any, ...]]]:
    """What a fresh ingest of the articles stores (on SQLite: the rows are the same)."""
    feed = tmp_path / "fresh.jsonl"
    write_articles(feed, 30)
    from app.cli import run_migrations

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    run_migrations(url)
    engine = create_db_engine(url)
    try:
        ingest([feed], engine=engine, model=blank_model, batch_size=8)
        return snapshot(engine, blank_model)
    finally:
        engine.dispose()


def _ingest(engine: Engine, tmp_path: Path, model: str, count: int) -> None:
    feed = tmp_path / "feed.jsonl"
    write_articles(feed, count)
    report = ingest([feed], engine=engine, model=model, batch_size=8)
    assert report.added == count


def test_stale_articles_get_the_current_extraction(
    engine: Engine, tmp_path: Path, blank_model: str, fresh: dict[str, list[tuple[Any, ...]]]
) -> None:
    _ingest(engine, tmp_path, blank_model, 30)
    assert snapshot(engine, blank_model) == fresh
    # an older extraction: some articles lost their quotes, one its headline quote and one an
    # entity's count; one records another version, one none (stored before it was recorded)
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET extraction = 'old' WHERE source_id <= 'a0009'"))
        connection.execute(text("UPDATE article SET extraction = NULL WHERE source_id = 'a0010'"))
        connection.execute(
            text(
                "DELETE FROM quote WHERE article_id IN "
                "(SELECT id FROM article WHERE source_id <= 'a0004')"
            )
        )
        connection.execute(text("UPDATE quote SET confidence = 0 WHERE field = 'title'"))
        kept = set(
            connection.execute(
                text(
                    "SELECT q.id FROM quote q JOIN article a ON a.id = q.article_id "
                    "WHERE a.source_id > 'a0010'"
                )
            ).scalars()
        )
    stale = snapshot(engine, blank_model)
    assert stale != fresh and len(stale["stale"]) == 11

    report = reannotate(engine, model=blank_model, batch_size=4)
    assert (report.stale, report.done, report.failed) == (11, 11, 0)
    after = snapshot(engine, blank_model)
    # the stale articles are as a fresh ingest leaves them; the current ones were not touched,
    # so their quotes keep their rows (and the headline quotes their zeroed confidence)
    assert after["stale"] == []
    assert after["quotes"] != fresh["quotes"]
    repaired = [q for q in after["quotes"] if q[0] <= "a0010"]
    assert repaired == [q for q in fresh["quotes"] if q[0] <= "a0010"]
    with engine.connect() as connection:
        assert kept <= set(connection.execute(text("SELECT id FROM quote")).scalars())
    for name in ("mentions", "entities", "quotations"):
        assert after[name] == fresh[name], name
    assert reannotate(engine, model=blank_model).stale == 0  # nothing left to do


def test_all_redoes_every_article(
    engine: Engine, tmp_path: Path, blank_model: str, fresh: dict[str, list[tuple[Any, ...]]]
) -> None:
    _ingest(engine, tmp_path, blank_model, 30)
    with engine.begin() as connection:
        connection.execute(text("UPDATE quote SET confidence = 0"))
        before = set(connection.execute(text("SELECT id FROM quote")).scalars())
    assert reannotate(engine, model=blank_model).stale == 0  # all are current
    report = reannotate(engine, model=blank_model, all_articles=True, batch_size=8)
    assert (report.stale, report.done) == (30, 30)
    assert snapshot(engine, blank_model) == fresh
    with engine.connect() as connection:
        assert not before & set(connection.execute(text("SELECT id FROM quote")).scalars())


def test_killed_half_way_then_run_again(
    db_url: str,
    engine: Engine,
    tmp_path: Path,
    blank_model: str,
) -> None:
    """A real `corpus reannotate` SIGKILLed after some batches: what it stored is whole, and a
    second run finishes with the same rows as a run that was never stopped."""
    count = 240
    _ingest(engine, tmp_path, blank_model, count)
    whole = snapshot(engine, blank_model)
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET extraction = 'old'"))
        connection.execute(text("UPDATE quote SET confidence = 0"))

    def current() -> int:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT count(*) FROM article WHERE extraction = :v"),
                    {"v": extraction_version(blank_model)},
                ).scalar_one()
            )

    command = [*CORPUS, "reannotate", "--batch-size", "4", "--workers", "1"]
    process = subprocess.Popen(command, env=env(db_url, blank_model), stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and current() < 20:
            threading.Event().wait(0.005)
        assert process.poll() is None, "finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    done = current()
    assert 20 <= done < count and done % 4 == 0  # whole batches only
    half = snapshot(engine, blank_model)
    assert len(half["stale"]) == count - done
    # the entity counts and quotations are right at the kill point too
    assert half["entities"] == whole["entities"] and half["quotations"] == whole["quotations"]

    again = subprocess.run(
        command, env=env(db_url, blank_model), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert f"{count - done} stale: {count - done} re-extracted" in again.stderr
    assert snapshot(engine, blank_model) == whole
