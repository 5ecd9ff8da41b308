"""The two engines side by side: an ingested SQLite corpus copied into PostgreSQL (COPY, no
NLP; ``--copies`` repeats it with new ids, as the 100k corpus does), then each search case's
median latency at one connection, in-process through the app, on both.

    python -m bench.postgres --db .bench/cache/real.db --pg postgresql://postgres@127.0.0.1/postgres
"""

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.cli import run_migrations
from app.config import Settings
from app.main import create_app
from bench import corpora
from bench.cases import build_cases

# columns copied per table (PostgreSQL computes the generated `search` columns itself)
_TABLES = {
    "article": "id, source_id, title, body, published, source, url, author, word_count, "
    "content_hash, ingested_at, entity_ids",
    "entity": "id, name, type, aliases, article_count, mention_count, name_key",
    "mention": 'id, article_id, entity_id, text, start, "end"',
    "quote": 'id, article_id, text, start, "end", kind, cue, speaker, speaker_text, '
    "speaker_start, speaker_end, speaker_entity_id, confidence, speaker_key, speaker_text_key, "
    "quotation_id",
    "story": "id, size, source_count, first_article_id, first_published",
    "story_article": "article_id, story_id",
    "quotation": "id, text, folded, key, first_gram, occurrences, source_count, story_count, "
    "first_quote_id, "
    "first_article_id, first_published, first_source, speaker, speaker_entity_id, "
    "speaker_share, contested",
}
# with copies, each copy joins its original's story and its quotes their quotation (as the
# SQLite 100k corpus does, bench.corpora.scale): same sources, same stories, more occurrences
_SCALED = [
    "UPDATE story SET size = size * %(copies)s",
    "UPDATE quotation SET occurrences = occurrences * %(copies)s",
]


# the tables with an id column (sequences to move past the copied rows)
_IDS = [table for table in _TABLES if _TABLES[table].startswith("id,")]


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load(sqlite_db: Path, server_url: str, name: str, copies: int, spread_days: int = 0) -> str:
    """A new PostgreSQL database ``name`` holding the SQLite corpus ``copies`` times (copy
    ``k`` dated ``k × spread_days`` days earlier, as ``corpora.scale`` does); its URL.
    The corpus is read from a migrated copy, so a file made by an older schema loads too."""
    with tempfile.TemporaryDirectory() as scratch:
        migrated = Path(scratch) / "corpus.db"
        corpora.copy_db(sqlite_db, migrated)
        corpora.migrate(migrated)
        return _load(migrated, server_url, name, copies, spread_days)


def fingerprint(sqlite_db: Path, copies: int, spread_days: int = 0) -> str:
    """What a loaded database was made from: the SQLite corpus's rows (counts, top ids, words)
    and the copies. From the rows, not the file's time: a copy of the same corpus (``--db``
    copies it again whenever its source changed) must not reload the 100k database (~150 s)."""
    with sqlite3.connect(f"file:{sqlite_db}?mode=ro", uri=True) as conn:
        counts = [
            conn.execute(f"SELECT count(*), max(id) FROM {table}").fetchone() for table in _IDS
        ]
        words = conn.execute("SELECT total(word_count) FROM article").fetchone()[0]
    rows = ", ".join(f"{table} {n}/{top}" for table, (n, top) in zip(_IDS, counts, strict=True))
    spread = f", {spread_days} days apart" if spread_days else ""
    return f"bench: {copies} copies{spread} of {rows}, {words:.0f} words"


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def load_once(
    sqlite_db: Path,
    server_url: str,
    name: str,
    copies: int,
    *,
    spread_days: int = 0,
    rebuild: bool = False,
) -> tuple[str, float | None]:
    """The URL of database ``name`` holding the SQLite corpus ``copies`` times, and the seconds
    loading it took: loaded again only when it holds other rows or copies (the database's
    comment records its ``fingerprint``) or ``rebuild`` is set; None when it was reused,
    after migrating it to the code's schema."""
    wanted = fingerprint(sqlite_db, copies, spread_days)
    with psycopg.connect(_conninfo(server_url), autocommit=True) as admin:
        row = admin.execute(
            b"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    url = database_url(server_url, name)
    if row is not None and row[0] == wanted and not rebuild:
        run_migrations(url)
        return url, None
    started = time.perf_counter()
    load(sqlite_db, server_url, name, copies, spread_days)
    with psycopg.connect(_conninfo(server_url), autocommit=True) as admin:
        literal = wanted.replace("'", "''")
        admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'".encode())
    return url, time.perf_counter() - started


def server_version(url: str) -> str:
    with psycopg.connect(_conninfo(url)) as conn:
        row = conn.execute(b"SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _load(sqlite_db: Path, server_url: str, name: str, copies: int, spread_days: int) -> str:
    with psycopg.connect(_conninfo(server_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    url = database_url(server_url, name)
    run_migrations(url)
    source = sqlite3.connect(f"file:{sqlite_db}?mode=ro", uri=True)
    with psycopg.connect(_conninfo(url)) as target:
        for table, columns in _TABLES.items():
            quoted = ", ".join(f'"{c}"' for c in columns.replace('"', "").split(", "))
            with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
                for row in source.execute(f"SELECT {quoted} FROM {table}"):
                    copy.write_row(_pg_row(table, row))
        tops = _tops(target)
        with _without_indexes(target, copies > 1):
            for k in range(1, copies):
                _copy_once(target, k, tops, spread_days)
        for statement in _SCALED:
            target.execute(statement.encode(), {"copies": copies})
        for table in _IDS:
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))".encode()
            )
        target.commit()
        target.autocommit = True
        target.execute(b"VACUUM ANALYZE")
    source.close()
    return url


def _pg_row(table: str, row: tuple[object, ...]) -> tuple[object, ...]:
    """SQLite stores booleans as 0 and 1."""
    if table == "quotation":
        return (*row[:-1], bool(row[-1]))
    return row


@contextmanager
def _without_indexes(target: psycopg.Connection, drop: bool) -> Iterator[None]:
    """The secondary indexes of the copied tables dropped while the copies go in, and built
    again after: one sorted build each (GIN's above all) instead of a million insertions. The
    indexes that back a constraint stay."""
    if not drop:
        yield
        return
    tables = list(_TABLES) + ["article_vector"]
    indexes = target.execute(
        b"SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        b"AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        b"WHERE c.conname = i.indexname)",
        (tables,),
    ).fetchall()
    for name, _ in indexes:
        target.execute(f'DROP INDEX "{name}"'.encode())
    yield
    target.execute(b"SET maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        target.execute(definition.encode())


def _copy_once(target: psycopg.Connection, k: int, tops: dict[str, int], spread_days: int) -> None:
    """The original rows (``id <= tops[table]``, read by primary key) again under new ids (and
    new source ids and hashes), dated ``k × spread_days`` days earlier."""
    for table in ("article", "mention", "quote"):
        columns = _TABLES[table]
        values = columns.replace("id, ", f"id + {k * tops[table]}, ", 1)
        if table == "article":
            values = (
                values.replace("source_id,", f"source_id || '~{k}',")
                .replace("content_hash,", f"content_hash || '~{k}',")
                .replace("published,", f"published - {k * spread_days},")
            )
        else:
            values = values.replace("article_id,", f"article_id + {k * tops['article']},")
        target.execute(
            f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} "
            f"WHERE id <= {tops[table]}".encode()
        )
    target.execute(
        b"INSERT INTO story_article (article_id, story_id) SELECT article_id + %(shift)s, "
        b"story_id FROM story_article WHERE article_id <= %(articles)s",
        {"shift": k * tops["article"], "articles": tops["article"]},
    )


def _tops(target: psycopg.Connection) -> dict[str, int]:
    """Each copied table's highest id before the copies."""
    tops = {}
    for table in ("article", "mention", "quote"):
        row = target.execute(f"SELECT coalesce(max(id), 0) FROM {table}".encode()).fetchone()
        assert row is not None
        tops[table] = int(row[0])
    return tops


def median_ms(client: TestClient, path: str, runs: int) -> float:
    client.get(path)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.text[:200])
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.postgres", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="an ingested SQLite corpus")
    parser.add_argument("--pg", required=True, help="PostgreSQL server URL (a maintenance db)")
    parser.add_argument("--copies", type=int, default=1, help="copies of the corpus [1]")
    parser.add_argument("--runs", type=int, default=9, help="requests per case [9]")
    parser.add_argument("--name", default="corpus_bench", help="database to (re)create")
    parser.add_argument(
        "--no-load", action="store_true", help="measure the database --name as it is (no copy)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.no_load:
        url = make_url(args.pg).set(database=args.name).render_as_string(hide_password=False)
    else:
        url = load(args.db, args.pg, args.name, args.copies)
        took = time.perf_counter() - started
        print(f"loaded {args.copies} × {args.db} into {args.name} in {took:.0f} s")  # noqa: T201
    reads = ("/api/v1/search", "/api/v1/stories", "/api/v1/quotations")
    cases = [case for case in build_cases(args.db) if case.path.startswith(reads)]
    print("| case | SQLite p50 ms | PostgreSQL p50 ms |\n| --- | --- | --- |")  # noqa: T201
    # each request does its work: the response cache would answer the repeats from memory
    sqlite_app = create_app(Settings(DATABASE_URL=f"sqlite:///{args.db}", RESPONSE_CACHE_MB=0))
    pg_app = create_app(Settings(DATABASE_URL=url, RESPONSE_CACHE_MB=0))
    with TestClient(sqlite_app) as sqlite_client, TestClient(pg_app) as pg_client:
        for case in cases:
            lite = median_ms(sqlite_client, case.path, args.runs) if args.copies == 1 else None
            pg = median_ms(pg_client, case.path, args.runs)
            print(f"| {case.name} | {f'{lite:.1f}' if lite else '–'} | {pg:.1f} |")  # noqa: T201


if __name__ == "__main__":
    main()
