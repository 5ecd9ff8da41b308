"""Nothing lost: `corpus ingest` killed with SIGKILL at many points leaves a consistent database
that a re-run completes exactly; the API reads without errors while an ingest writes."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import make_client

# enough input for ten kill points although worker processes store several batches past a
# kill point before the kill lands
RECORDS = 2000
BATCH = 20
KILLS = 10
CORPUS = [sys.executable, "-c", "from app.cli import main; main()"]


def write_input(path: Path, records: int = RECORDS) -> list[str]:
    ids = [f"r{n:05d}" for n in range(records)]
    with path.open("w", encoding="utf-8") as handle:
        for n, source_id in enumerate(ids):
            body = f'Story {n} about the harbour wall. "We will rebuild it by June," she said.'
            handle.write(json.dumps({"id": source_id, "title": f"Harbour {n}", "body": body}))
            handle.write("\n")
    return ids


def env(db_url: str, model: str) -> dict[str, str]:
    return {**os.environ, "CORPUS_DATABASE_URL": db_url, "CORPUS_SPACY_MODEL": model}


def stored_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT source_id FROM article ORDER BY id")]


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM article").fetchone()[0])


def assert_consistent(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # FTS5 checks its index against the article table: https://sqlite.org/fts5.html#the_integrity_check_command
        conn.execute("INSERT INTO article_fts(article_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO quote_fts(quote_fts) VALUES ('integrity-check')")
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM quote WHERE article_id NOT IN (SELECT id FROM article))"
            " + (SELECT count(*) FROM mention WHERE article_id NOT IN (SELECT id FROM article))"
        ).fetchone()[0]
        assert orphans == 0
        indexed = conn.execute(
            "SELECT count(*) FROM article WHERE id NOT IN "
            "(SELECT rowid FROM article_fts WHERE article_fts MATCH 'harbour')"
        ).fetchone()[0]
        assert indexed == 0  # every article is found by search
        unquoted = conn.execute(
            "SELECT count(*) FROM article WHERE id NOT IN (SELECT article_id FROM quote)"
        ).fetchone()[0]
        assert unquoted == 0  # no article stored without what was extracted from it


def test_sigkill_at_many_points_then_resume(db_url: str, tmp_path: Path, blank_model: str) -> None:
    feed = tmp_path / "feed.jsonl"
    ids = write_input(feed)
    db = Path(db_url.removeprefix("sqlite:///"))
    command = [*CORPUS, "ingest", "--batch-size", str(BATCH), str(feed)]
    rng = random.Random(10)  # the same kill points on every run
    kills = 0
    while kills < KILLS:
        target = count(db) + rng.randrange(BATCH, 3 * BATCH)
        process = subprocess.Popen(command, env=env(db_url, blank_model), stderr=subprocess.DEVNULL)
        try:
            while process.poll() is None and count(db) < target:
                threading.Event().wait(0.005)
            threading.Event().wait(rng.random() * 0.05)  # somewhere inside the next batch
            if process.poll() is not None:
                break  # finished before this kill point
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        stored = stored_ids(db)
        assert_consistent(db)
        # whole batches only, in input order: a kill loses at most the batch in flight
        assert stored == ids[: len(stored)] and len(stored) % BATCH == 0
    assert kills >= KILLS
    done = subprocess.run(command, env=env(db_url, blank_model), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert stored_ids(db) == ids  # complete, no duplicates
    assert_consistent(db)


def test_reads_while_an_ingest_writes(db_url: str, tmp_path: Path, blank_model: str) -> None:
    feed = tmp_path / "feed.jsonl"
    write_input(feed, 800)
    process = subprocess.Popen(
        [*CORPUS, "ingest", "--batch-size", str(BATCH), str(feed)],
        env=env(db_url, blank_model),
        stderr=subprocess.DEVNULL,
    )
    reads, last_total, last_hits, errors = 0, 0, 0, []
    client: TestClient
    try:
        with make_client(db_url) as client:
            for _ in range(20_000):  # bounded; the ingest takes a few seconds
                finished = process.poll() is not None
                listed = client.get("/api/v1/articles", params={"limit": 1, "fields": "id"})
                found = client.get("/api/v1/search", params={"q": "harbour", "limit": 1})
                health = client.get("/health")
                reads += 3
                for response in (listed, found, health):
                    if response.status_code != 200:
                        errors.append((response.request.url, response.status_code, response.text))
                if listed.status_code == found.status_code == 200:
                    total, hits = listed.json()["total"], found.json()["total"]
                    assert total >= last_total and hits >= last_hits  # counts only grow
                    last_total, last_hits = total, hits
                if finished:
                    break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == 0
    assert errors == []
    assert last_total == 800 and reads > 3
    print(f"{reads} reads during the ingest, 0 errors")  # noqa: T201
