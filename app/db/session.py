"""Engine factory (SQLite pragmas, or PostgreSQL's read-only snapshots), the change token and
the session dependency."""

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from app.engines import POSTGRESQL, database_url, engine_name


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_db_engine(
    url: str, *, busy_timeout_ms: int = 5000, read_only: bool = False, pool_size: int = 5
) -> Engine:
    """Create an engine; SQLite files get their folder created and per-connection pragmas.

    The pool never makes a caller wait: ``pool_size`` connections are kept, and more are opened
    when more are needed (a request waiting for a connection while holding a worker thread is
    how the API once deadlocked under load)."""
    url = database_url(url)
    if engine_name(url) == POSTGRESQL:
        return _create_postgres_engine(url, read_only=read_only, pool_size=pool_size)
    if (path := sqlite_path(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # an in-memory SQLite database keeps its one connection (SQLAlchemy's SingletonThreadPool)
    in_memory = path is None
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        **({} if in_memory else {"pool_size": pool_size, "max_overflow": -1}),
    )

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # foreign keys are off by default in SQLite: https://sqlite.org/foreignkeys.html#fk_enable
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if read_only:
            # the API only reads: refuse writes at the connection level
            cursor.execute("PRAGMA query_only=ON")
        else:
            # WAL lets the API read while an ingest writes: https://sqlite.org/wal.html
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # let SQLAlchemy's "begin" event emit BEGIN itself (see _begin)
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Readers: a plain BEGIN makes every statement of a request (a page and its total)
        # read one snapshot; pysqlite would otherwise run each SELECT in its own
        # transaction. Writers: take the write lock when the transaction starts, not at its
        # first write, so two ingests cannot both read "not stored yet" and then collide
        # on a unique key:
        # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
        if read_only:
            # straight on the driver: SQLAlchemy's statement layer costs more than a BEGIN,
            # which in WAL mode never waits for a lock
            connection.connection.driver_connection.execute("BEGIN")
        else:
            # through SQLAlchemy, so a lock held too long is its OperationalError
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_postgres_engine(url: str, *, read_only: bool, pool_size: int) -> Engine:
    """Readers run each request in one REPEATABLE READ snapshot (a page and its total agree)
    on read-only transactions; writers keep READ COMMITTED and rely on ON CONFLICT."""
    options = "-c default_transaction_read_only=on" if read_only else ""
    return create_engine(
        url,
        # JSON as written, not \u-escaped: entity aliases are indexed for name search
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
        connect_args={"options": options} if options else {},
        isolation_level="REPEATABLE READ" if read_only else "READ COMMITTED",
        pool_size=pool_size,
        max_overflow=-1,
        pool_pre_ping=True,
    )


ChangeToken = tuple[int, datetime]
"""A counter that grows with every committed change to the corpus, and when it last grew."""


_CHANGE_TOKEN_SQL = "SELECT version, changed_at FROM corpus_version"


def read_change_token(engine: Engine) -> ChangeToken | None:
    """The corpus's change counter (kept by triggers, see the read-path migration), or None
    when the database has no such table yet."""
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(_CHANGE_TOKEN_SQL).first()
    except SQLAlchemyError:
        return None
    return _token(row)


def _token(row: Any) -> ChangeToken | None:
    if row is None:
        return None
    changed_at = datetime.strptime(row[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(row[0]), changed_at


class ChangeTokenReader:
    """Reads the change counter cheaply enough for every request, on a connection of its own
    (outside the pool, so a request answered from the response cache takes no pooled
    connection). On a SQLite file it asks ``PRAGMA data_version``, which moves only when
    another connection has committed (https://sqlite.org/pragma.html#pragma_data_version), and
    reads the counter only then; on PostgreSQL it reads the counter's row each time (one
    index lookup, autocommit); an in-memory database is read through the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path = sqlite_path(str(engine.url))
        self.postgres = engine.dialect.name == POSTGRESQL
        self.connection: Any = None
        self.seen: tuple[int, ChangeToken | None] | None = None

    def __call__(self) -> ChangeToken | None:
        if self.postgres:
            return self._read_postgres()
        if self.path is None:
            return read_change_token(self.engine)
        try:
            if self.connection is None:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            data_version = self.connection.execute("PRAGMA data_version").fetchone()[0]
            if self.seen is None or self.seen[0] != data_version or self.seen[1] is None:
                row = self.connection.execute(_CHANGE_TOKEN_SQL).fetchone()
                self.seen = (data_version, _token(row))
        except sqlite3.Error:
            return None
        return self.seen[1]

    def _read_postgres(self) -> ChangeToken | None:
        import psycopg

        try:
            if self.connection is None:
                url = self.engine.url.set(drivername="postgresql")
                conninfo = url.render_as_string(hide_password=False)
                self.connection = psycopg.connect(conninfo, autocommit=True)
            return _token(self.connection.execute(_CHANGE_TOKEN_SQL).fetchone())
        except psycopg.Error:
            self.close()  # a server restart: connect again next time
            return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one route call. It is async so that opening and closing it need no worker
    thread, and (with ``scope="function"``) it gives its connection back as soon as the route
    returns, before the response is sent."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
