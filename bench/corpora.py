"""The two corpora: the shared corpus ingested for real, and a ~100,000-article copy of it.

Built databases are cached in the scratch folder (``.bench/cache``); every server gets its own
copy of the cached file."""

import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# the real corpus 41 times over: 2,420 × 41 = 99,220 articles
COPIES = 41
# and 413 times over: 999,460 articles, each copy a week older than the one before
MILLION_COPIES = 413
MILLION_SPREAD_DAYS = 7


@dataclass(frozen=True)
class IngestStats:
    seconds: float
    articles: int
    words: int
    quotes: int
    entities: int
    peak_rss_mib: float
    size_mib: float
    summary: str


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy of a live database (WAL content included) that never writes to the
    source: SQLite's online backup from a read-only connection."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # the app's ingest leaves its files in WAL mode; keep copies the same
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dst.close()
        src.close()


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql).fetchone()[0] or 0)


def migrate(db: Path) -> None:
    """Bring a copy to the schema of the checked-out code (a no-op when it is there already)."""
    env = {**os.environ, "CORPUS_DATABASE_URL": f"sqlite:///{db}"}
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, capture_output=True
    )


def ingest(corpus: Path, db: Path) -> IngestStats:
    """``corpus migrate`` then ``corpus ingest`` into a new file, timed, with the ingesting
    process's peak RSS."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    migrate(db)
    env = {**os.environ, "CORPUS_DATABASE_URL": f"sqlite:///{db}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "ingest", str(corpus)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    summary = process.stderr.read().strip().splitlines()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):  # 1: some records failed, reported in the summary
        raise RuntimeError(f"corpus ingest failed: {summary[-5:]}")
    return IngestStats(
        seconds=seconds,
        articles=count(db, "SELECT count(*) FROM article"),
        words=count(db, "SELECT sum(word_count) FROM article"),
        quotes=count(db, "SELECT count(*) FROM quote"),
        entities=count(db, "SELECT count(*) FROM entity"),
        peak_rss_mib=usage.ru_maxrss / 1024,
        size_mib=db.stat().st_size / 2**20,
        summary=summary[-1] if summary else "",
    )


def _copy_rows(
    conn: sqlite3.Connection, table: str, changed: dict[str, str], top: int, **params: object
) -> None:
    """INSERT … SELECT of the original rows (``id <= top``) with some columns rewritten; the
    column list is read from the table, so columns added by later migrations are copied too."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(changed.get(c, f'"{c}"') for c in columns)
    conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {values} FROM {table} WHERE id <= :top",
        {**params, "top": top},
    )


def scale(source: Path, target: Path, copies: int = COPIES, spread_days: int = 0) -> None:
    """Copy ``source`` and repeat its articles until there are ``copies`` of each, with new ids,
    source ids and content hashes; quotes and mentions are copied with them (entities stay, their
    counts multiplied), so every term and every speaker keeps its real frequency; each copy
    joins its original's story, and stories and quotations count the copies. Copy ``n`` is
    dated ``n × spread_days`` days before its original, so a date range holds a realistic
    share of a big copy. Up to ``COPIES`` copies, the FTS triggers index each new row as
    ingestion would; past that the rows go in with the triggers off and ``corpus reindex``
    builds the word indexes once (row by row, a million articles took hours here). No
    ANALYZE, as the app never runs it."""
    partial = target.with_suffix(".partial")
    copy_db(source, partial)
    # the schema of the code first: a migration that rebuilds rows would cost 41 or 413 times
    # as much on the copy
    migrate(partial)
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        conn.execute("PRAGMA cache_size=-1048576")  # 1 GiB: the copies' index inserts
        conn.execute("BEGIN")
        bulk = copies > COPIES
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts_ai'"
        ).fetchall()
        for name, _ in triggers if bulk else ():
            conn.execute(f"DROP TRIGGER {name}")
        top = int(conn.execute("SELECT max(id) FROM article").fetchone()[0])
        quote_top = int(conn.execute("SELECT coalesce(max(id), 0) FROM quote").fetchone()[0])
        mention_top = int(conn.execute("SELECT coalesce(max(id), 0) FROM mention").fetchone()[0])
        for n in range(1, copies):
            if copies > COPIES and n % 20 == 0:
                print(f"  copy {n} of {copies}…", file=sys.stderr)
            tag = f"#copy{n}"
            _copy_rows(
                conn,
                "article",
                {
                    "id": "id + :shift",
                    "source_id": "source_id || :tag",
                    "content_hash": "content_hash || :tag",
                    "published": "date(published, :back)",
                },
                top,
                shift=n * top,
                tag=tag,
                back=f"-{n * spread_days} days",
            )
            _copy_rows(
                conn,
                "quote",
                {"id": "id + :shift", "article_id": "article_id + :ashift"},
                quote_top,
                shift=n * quote_top,
                ashift=n * top,
            )
            _copy_rows(
                conn,
                "mention",
                {"id": "id + :shift", "article_id": "article_id + :ashift"},
                mention_top,
                shift=n * mention_top,
                ashift=n * top,
            )
            # a copy is a near-duplicate: it joins its original's story
            conn.execute(
                "INSERT INTO story_article (article_id, story_id) "
                "SELECT article_id + :ashift, story_id FROM story_article WHERE article_id <= :top",
                {"ashift": n * top, "top": top},
            )
        conn.execute(
            "UPDATE entity SET article_count = article_count * :n,"
            " mention_count = mention_count * :n",
            {"n": copies},
        )
        # stories and quotations hold every copy (their quotes keep their quotation_id)
        conn.execute("UPDATE story SET size = size * :n", {"n": copies})
        conn.execute("UPDATE quotation SET occurrences = occurrences * :n", {"n": copies})
        for _, sql in triggers if bulk else ():
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.replace(target)
    if bulk:
        reindex(f"sqlite:///{target}")


def reindex(url: str, *, search_index_only: bool = False, **env: str) -> None:
    """``corpus reindex``: the word indexes, and the search index beside the database when
    the corpus is big enough for one (``app.search.ranker``), built again from the tables;
    a server started after it measures no case while its own thread builds that index."""
    environment = {**os.environ, "CORPUS_DATABASE_URL": url, **env}
    only = ["--search-index-only"] if search_index_only else []
    subprocess.run([sys.executable, "-m", "app.cli", "reindex", *only], env=environment, check=True)
