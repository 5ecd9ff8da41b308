"""Migrations: they match the models, go down and up again, and their FTS triggers fire."""

import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade, upgrade
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from app.cli import run_migrations
from app.db.migrations import alembic_config
from app.engines.changes import read_change_token
from app.engines.connect import create_db_engine
from app.engines.schema import include_object
from app.queries.quotes import list_quotes
from tests.conftest import PostgresServer, sqlite_url

_config = alembic_config


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        # sqlite_sequence, AUTOINCREMENT's counter, is SQLite's own and stays once made
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\'"
        )
        return {row[0] for row in rows}


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "m.db")
    run_migrations(url)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    config = _config(sqlite_url(path))
    upgrade(config, "head")
    assert {"article", "quote", "entity", "mention", "article_fts", "quote_fts"} <= _tables(path)
    downgrade(config, "base")
    assert _tables(path) == {"alembic_version"}
    upgrade(config, "head")
    assert "article_fts" in _tables(path)


def test_fts_triggers_follow_insert_update_delete(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    run_migrations(sqlite_url(path))
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
            "ingested_at) VALUES (1, 'a', 'Harbour report', 'Ships were counted.', 3, 'h', "
            "'2020-01-01')"
        )
        db.execute(
            "INSERT INTO quote (article_id, text, start, end, kind) "
            "VALUES (1, 'ships sail', 0, 5, 'direct')"
        )

        def hits(table: str, query: str) -> int:
            sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
            return int(db.execute(sql, (query,)).fetchone()[0])

        assert hits("article_fts", "harbour") == 1
        assert hits("article_fts", "ship") == 1  # porter stemming: ships → ship
        assert hits("quote_fts", "sailing") == 1
        db.execute("UPDATE article SET title = 'Airport report' WHERE id = 1")
        assert hits("article_fts", "harbour") == 0
        assert hits("article_fts", "airport") == 1
        db.execute("DELETE FROM article WHERE id = 1")  # cascades to the quote
        assert hits("article_fts", "airport") == 0
        assert hits("quote_fts", "sail") == 0


def test_every_write_moves_the_change_counter(db_url: str) -> None:
    """On both engines (``db_url`` is a migrated database of each)."""
    engine = create_db_engine(db_url)

    def version() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT version FROM corpus_version")).scalar_one())

    seen = [version()]
    for statement in (
        "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
        "ingested_at) VALUES (1, 'a', 'T', 'B', 1, 'h', CURRENT_TIMESTAMP)",
        "UPDATE article SET author = 'Someone' WHERE id = 1",
        "INSERT INTO entity (id, name, type, aliases, article_count, mention_count) "
        "VALUES (1, 'Lagos', 'GPE', '[]', 0, 0)",
        "UPDATE entity SET aliases = '[\"Eko\"]' WHERE id = 1",
        "DELETE FROM entity WHERE id = 1",
        "DELETE FROM article WHERE id = 1",
    ):
        with engine.begin() as connection:
            connection.execute(text(statement))
        seen.append(version())
    engine.dispose()
    assert seen == sorted(set(seen)) and len(seen) == 7


def test_the_change_time_is_when_the_change_was_written(db_url: str) -> None:
    """Not when its transaction began (PostgreSQL's now()): a writer that had waited for
    another's lock stamped its change with a time before the other's commit, and a client that
    revalidated with If-Modified-Since alone was told 304 for an answer that had changed since."""
    engine = create_db_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT version FROM corpus_version"))  # the transaction begins
        time.sleep(1)  # waiting, as for another writer's lock
        written = datetime.now(UTC).replace(microsecond=0)
        connection.execute(
            text(
                "INSERT INTO article (source_id, title, body, word_count, content_hash, "
                "ingested_at) VALUES ('a', 'T', 'B', 1, 'h', CURRENT_TIMESTAMP)"
            )
        )
    token = read_change_token(engine)
    engine.dispose()
    assert token is not None and token[1] >= written


def test_every_connection_enforces_foreign_keys_and_uses_wal(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "m.db")
    run_migrations(url)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # writers get a larger page cache (in KiB when negative); readers keep SQLite's
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024
    engine.dispose()
    reader = create_db_engine(url, read_only=True)
    with reader.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
    reader.dispose()


def test_engines_for_files_never_wait_and_in_memory_ones_still_open(tmp_path: Path) -> None:
    file_engine = create_db_engine(sqlite_url(tmp_path / "m.db"), pool_size=3)
    assert file_engine.pool.size() == 3 and file_engine.pool._max_overflow == -1  # type: ignore[attr-defined]
    memory_engine = create_db_engine("sqlite://")
    with memory_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_names_stored_before_folded_keys_are_found_by_them(
    engine_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The migration that stores folded names fills them for the rows already there, batch by
    batch, and its downgrade gives the old speaker indexes back."""
    if engine_kind == "sqlite":
        url, drop = sqlite_url(tmp_path / "m.db"), None
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = server.create(uuid.uuid4().hex[:12])
        url, drop = server.url_of(name), lambda: server.drop(name)
    config = _config(url)
    try:
        upgrade(config, "609b741da090")
        engine = create_db_engine(url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
                    "ingested_at) VALUES (1, 'a', 'T', 'B', 1, 'h', CURRENT_TIMESTAMP)"
                )
            )
            for n, (speaker, written) in enumerate(
                [("Émile Zola", "ZOLA"), (None, None), ("Ada", None)] * 3
            ):
                connection.execute(
                    text(
                        'INSERT INTO quote (article_id, text, start, "end", kind, speaker, '
                        "speaker_text) VALUES (1, 'q', :n, :n, 'direct', :speaker, :written)"
                    ),
                    {"n": n, "speaker": speaker, "written": written},
                )
            connection.execute(
                text(
                    "INSERT INTO entity (name, type, aliases, article_count, mention_count) "
                    "VALUES ('Émile Zola', 'PERSON', '[]', 0, 0)"
                )
            )
        engine.dispose()
        # several batches over nine quotes: the revision's module as the upgrade will load it
        scripts = ScriptDirectory.from_config(config)
        monkeypatch.setattr(ScriptDirectory, "from_config", lambda _config: scripts)
        monkeypatch.setattr(scripts.get_revision("4f1c2a9e8b37").module, "_BATCH", 2)
        upgrade(config, "head")
        engine = create_db_engine(url)
        with engine.connect() as connection:
            keys = connection.execute(
                text("SELECT speaker_key, speaker_text_key FROM quote ORDER BY id")
            ).all()
            name_key = connection.execute(text("SELECT name_key FROM entity")).scalar_one()
        with Session(engine) as session:
            found = list_quotes(session, speaker="EMILE zola", limit=10)[0]
        engine.dispose()
        assert [tuple(row) for row in keys] == [
            ("emile zola", "zola"),
            (None, None),
            ("ada", None),
        ] * 3
        assert name_key == "emile zola" and len(found) == 3
        downgrade(config, "609b741da090")
        assert {"ix_quote_speaker_lower", "ix_quote_speaker_fold"} & _indexes(url, "quote")
        assert not {"ix_quote_speaker_key", "ix_quote_speaker_text_key"} & _indexes(url, "quote")
        upgrade(config, "head")
        assert {"ix_quote_speaker_key", "ix_quote_speaker_text_key"} <= _indexes(url, "quote")
    finally:
        if drop is not None:
            drop()


def _indexes(url: str, table: str) -> set[str]:
    """Index names from the catalog (SQLAlchemy's inspector leaves out expression indexes)."""
    engine = create_db_engine(url)
    catalog = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = :table"
    )
    try:
        with engine.connect() as connection:
            return set(connection.execute(text(catalog), {"table": table}).scalars())
    finally:
        engine.dispose()


def test_ids_are_never_reused_and_the_rebuild_keeps_every_row(tmp_path: Path) -> None:
    """Issue 18: SQLite's tables are rebuilt with AUTOINCREMENT, their rows, indexes, triggers
    and the rows that refer to them intact (migrations run with foreign keys off, so dropping
    the old table cascades nowhere), both ways; then a deleted article's id stays retired."""
    path = tmp_path / "m.db"
    config = _config(sqlite_url(path))
    upgrade(config, "2d6b8e0f4a13")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
            "ingested_at) VALUES (1, 'a', 'Harbour', 'The harbour wall', 3, 'h1', "
            "CURRENT_TIMESTAMP), (2, 'b', 'Ferry', 'The ferry returns', 3, 'h2', "
            "CURRENT_TIMESTAMP)"
        )
        db.execute(
            "INSERT INTO entity (id, name, type, aliases, article_count, mention_count) "
            "VALUES (1, 'Kelby', 'GPE', '[]', 2, 2)"
        )
        db.execute(
            'INSERT INTO mention (article_id, entity_id, text, start, "end") '
            "VALUES (1, 1, 'Kelby', 0, 5), (2, 1, 'Kelby', 0, 5)"
        )
        db.execute(
            'INSERT INTO quote (article_id, text, start, "end", kind) '
            "VALUES (1, 'wall', 4, 8, 'direct'), (2, 'ferry', 4, 9, 'direct')"
        )

    def counts() -> tuple[int, ...]:
        with sqlite3.connect(path) as db:
            return tuple(
                db.execute(sql).fetchone()[0]
                for sql in (
                    "SELECT count(*) FROM article",
                    "SELECT count(*) FROM quote",
                    "SELECT count(*) FROM mention",
                    "SELECT count(*) FROM entity",
                    "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'ferry'",
                )
            )

    def schema() -> set[tuple[str, str]]:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT type, name FROM sqlite_master WHERE type != 'table'")
            return {(kind, name) for kind, name in rows}

    before, schema_before = counts(), schema()
    upgrade(config, "head")
    schema_at_head = schema()
    assert counts() == before and schema_before <= schema_at_head
    downgrade(config, "2d6b8e0f4a13")
    assert counts() == before and schema() == schema_before
    upgrade(config, "head")
    assert counts() == before and schema() == schema_at_head
    with sqlite3.connect(path) as db:  # (the write API's delete: tests/api/test_hostile.py)
        db.execute("DELETE FROM article WHERE id = 2")
        db.execute(
            "INSERT INTO article (source_id, title, body, word_count, content_hash, ingested_at) "
            "VALUES ('c', 'Kelby', 'Kelby votes', 2, 'h3', CURRENT_TIMESTAMP)"
        )
        assert db.execute("SELECT max(id) FROM article").fetchone()[0] == 3


def test_the_stories_migration_places_the_articles_already_stored(
    engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 19: upgrading a database that holds articles puts each in its story (copies
    together, the rest alone), and the downgrade drops the story tables."""
    from tests.corpus.syndicated import WIRE, body

    if engine_kind == "sqlite":
        url, drop = sqlite_url(tmp_path / "m.db"), None
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = server.create(uuid.uuid4().hex[:12])
        url, drop = server.url_of(name), lambda: server.drop(name)
    config = _config(url)
    texts = {
        "copy-1": body(WIRE),
        "copy-2": "PORT ALDER (Reuters) - " + body(WIRE[1:]),
        "other": "A different article about the weather on the coast this week.",
        "copy-3": body(WIRE) + "\n\nCopyright 2024 Example Wire.",
    }
    try:
        upgrade(config, "2d6b8e0f4a13")
        engine = create_db_engine(url)
        with engine.begin() as connection:
            for n, (source_id, text_) in enumerate(texts.items(), 1):
                connection.execute(
                    text(
                        "INSERT INTO article (id, source_id, title, body, word_count, "
                        "content_hash, ingested_at, published) VALUES (:n, :sid, 'T', :body, 1, "
                        ":sid, CURRENT_TIMESTAMP, :published)"
                    ),
                    {"n": n, "sid": source_id, "body": text_, "published": f"2024-06-0{5 - n}"},
                )
        engine.dispose()
        upgrade(config, "head")
        engine = create_db_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT s.id, s.size, s.first_article_id, a.source_id FROM story s "
                    "JOIN story_article sa ON sa.story_id = s.id "
                    "JOIN article a ON a.id = sa.article_id ORDER BY a.id"
                )
            ).all()
        engine.dispose()
        grouped: dict[int, set[str]] = {}
        for story_id, _, _, source_id in rows:
            grouped.setdefault(story_id, set()).add(source_id)
        assert sorted(map(sorted, grouped.values())) == [["copy-1", "copy-2", "copy-3"], ["other"]]
        # the earliest published copy is the story's first (copy-3, 2024-06-01)
        assert {(size, first) for _, size, first, sid in rows if sid.startswith("copy")} == {(3, 4)}
        downgrade(config, "2d6b8e0f4a13")
        assert "story" not in _table_names(url)
    finally:
        if drop is not None:
            drop()


def _table_names(url: str) -> set[str]:
    from sqlalchemy import inspect

    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_quotations_migration_groups_the_quotes_already_stored(
    engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 19: upgrading a database that holds quotes groups them into quotations (the same
    words, a trimmed variant; not a short reply nor indirect speech), and the downgrade drops
    them again."""
    if engine_kind == "sqlite":
        url, drop = sqlite_url(tmp_path / "m.db"), None
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = server.create(uuid.uuid4().hex[:12])
        url, drop = server.url_of(name), lambda: server.drop(name)
    config = _config(url)
    words = "we will rebuild the northern terminal before the end of the summer season"
    quotes = [
        (1, words.capitalize() + ".", "direct"),
        (2, f"“{words.upper()}”", "direct"),
        (3, "the northern terminal before the end of the summer season", "partial"),
        (3, "No.", "direct"),
        (4, "No.", "direct"),
        (4, words, "indirect"),
    ]
    try:
        upgrade(config, "7a3e5c1d9b20")
        engine = create_db_engine(url)
        with engine.begin() as connection:
            for n in range(1, 5):
                connection.execute(
                    text(
                        "INSERT INTO article (id, source_id, title, body, word_count, "
                        "content_hash, source, ingested_at) VALUES (:n, :sid, 'T', 'B', 1, "
                        ":sid, :source, CURRENT_TIMESTAMP)"
                    ),
                    {"n": n, "sid": f"a{n}", "source": f"outlet {n % 2}"},
                )
            for story in (1, 2):  # articles 1 and 3 are one story, 2 and 4 another
                connection.execute(
                    text(
                        "INSERT INTO story (id, size, source_count, first_article_id) "
                        "VALUES (:s, 2, 1, :s)"
                    ),
                    {"s": story},
                )
            connection.execute(
                text(
                    "INSERT INTO story_article (article_id, story_id) "
                    "VALUES (1, 1), (3, 1), (2, 2), (4, 2)"
                )
            )
            for article_id, quoted, kind in quotes:
                connection.execute(
                    text(
                        'INSERT INTO quote (article_id, text, start, "end", kind) '
                        "VALUES (:a, :t, 0, 1, :k)"
                    ),
                    {"a": article_id, "t": quoted, "k": kind},
                )
        engine.dispose()
        upgrade(config, "head")
        engine = create_db_engine(url)
        with engine.connect() as connection:
            grouped = (
                connection.execute(text("SELECT quotation_id FROM quote ORDER BY id"))
                .scalars()
                .all()
            )
            occurrences = connection.execute(
                text("SELECT occurrences, source_count, story_count FROM quotation")
            ).all()
        engine.dispose()
        assert grouped[:3] == [grouped[0]] * 3 and grouped[0] is not None
        assert grouped[3:] == [None, None, None]
        # the occurrences are in articles 1 to 3: two outlets, two stories
        assert [tuple(row) for row in occurrences] == [(3, 2, 2)]
        # a database grouped before quotations kept these counts gets them on upgrade
        downgrade(config, "d7b2f5a8e3c1")
        upgrade(config, "head")
        engine = create_db_engine(url)
        with engine.connect() as connection:
            counts = connection.execute(text("SELECT source_count, story_count FROM quotation"))
            assert [tuple(row) for row in counts] == [(2, 2)]
        engine.dispose()
        downgrade(config, "7a3e5c1d9b20")
        assert "quotation" not in _table_names(url)
    finally:
        if drop is not None:
            drop()


def test_a_database_built_before_story_signatures_gets_one_per_article(
    engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 19: a database whose stories were built before ``story_signature`` existed gets a
    signature, a shingle set and fresh band keys for every stored article on upgrade, and a
    copy stored afterwards still finds its story through them."""
    from sqlmodel import Session

    from app.corpus import join_story
    from app.corpus.shingles import keys_of, packed, packed_shingles, shingles, signature
    from tests.corpus.syndicated import WIRE, body

    if engine_kind == "sqlite":
        url, drop = sqlite_url(tmp_path / "m.db"), None
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = server.create(uuid.uuid4().hex[:12])
        url, drop = server.url_of(name), lambda: server.drop(name)
    config = _config(url)
    insert = text(
        "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
        "ingested_at) VALUES (:n, :sid, 'T', :body, 1, :sid, CURRENT_TIMESTAMP)"
    )
    texts = {1: body(WIRE), 2: "A different article about the weather on the coast this week."}
    try:
        upgrade(config, "2d6b8e0f4a13")
        engine = create_db_engine(url)
        with engine.begin() as connection:
            for n, body_ in texts.items():
                connection.execute(insert, {"n": n, "sid": f"a{n}", "body": body_})
        engine.dispose()
        upgrade(config, "8b4f6d2e0c31")
        engine = create_db_engine(url)
        with engine.begin() as connection:  # as the stories revision left it before signatures
            connection.execute(text("DROP TABLE story_signature"))
        engine.dispose()
        upgrade(config, "head")
        engine = create_db_engine(url)
        with engine.connect() as connection:
            stored: dict[int, bytes] = dict(
                connection.execute(text("SELECT article_id, minhash FROM story_signature")).all()
            )
            sets: dict[int, bytes] = dict(
                connection.execute(text("SELECT article_id, shingles FROM story_signature")).all()
            )
            keys = connection.execute(text("SELECT article_id, key FROM story_band")).all()
        assert {n: bytes(m) for n, m in stored.items()} == {
            n: packed(signature(shingles(b))) for n, b in texts.items()
        }
        # and their shingle sets (2026-12-07-1900_story_shingles)
        assert {n: bytes(m) for n, m in sets.items()} == {
            n: packed_shingles(shingles(b)) for n, b in texts.items()
        }
        assert sorted(keys) == sorted(
            (n, k) for n, b in texts.items() for k in set(keys_of(signature(shingles(b))))
        )
        copy = "PORT ALDER (Reuters) - " + body(WIRE[1:])
        with Session(engine) as session, session.begin():
            session.execute(insert, {"n": 3, "sid": "a3", "body": copy})
            joined = join_story(session, 3, copy)
            first = session.execute(
                text("SELECT story_id FROM story_article WHERE article_id = 1")
            ).scalar_one()
        engine.dispose()
        assert joined == first
    finally:
        if drop is not None:
            drop()
