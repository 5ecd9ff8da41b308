"""Connecting: an engine for a database URL, with SQLite's pragmas and BEGIN handling or
PostgreSQL's read-only snapshots."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from app.engines import POSTGRESQL, SQLITE, database_url, engine_name


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != SQLITE or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def connection_timeouts(timeout_s: float) -> dict[str, Any]:
    """libpq's parameters that bound connecting and waiting on a silent server:
    https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-PARAMKEYWORDS"""
    return {
        "connect_timeout": max(1, round(timeout_s)),
        "tcp_user_timeout": max(1, round(timeout_s * 1000)),
        "keepalives_idle": max(1, round(timeout_s)),
        "keepalives_interval": 1,
        "keepalives_count": 3,
    }


def create_db_engine(
    url: str,
    *,
    busy_timeout_ms: int = 5000,
    read_only: bool = False,
    pool_size: int = 5,
    foreign_keys: bool = True,
    timeout_s: float | None = None,
) -> Engine:
    """Create an engine; SQLite files get their folder created and per-connection pragmas.
    ``foreign_keys=False`` is for migrations, which rebuild tables by DROP and re-create: with
    foreign keys on, the DROP would cascade into the rows that refer to the table.

    The pool never makes a caller wait: ``pool_size`` connections are kept, and more are opened
    when more are needed (a request waiting for a connection while holding a worker thread is
    how the API once deadlocked under load).

    ``timeout_s`` (PostgreSQL) bounds connecting to a server and waiting on one gone silent:
    for read replicas, which a request must be able to give up on."""
    url = database_url(url)
    if engine_name(url) == POSTGRESQL:
        return _create_postgres_engine(
            url, read_only=read_only, pool_size=pool_size, timeout_s=timeout_s
        )
    return _create_sqlite_engine(
        url,
        busy_timeout_ms=busy_timeout_ms,
        read_only=read_only,
        pool_size=pool_size,
        foreign_keys=foreign_keys,
    )


_WRITER_CACHE_KIB = 64 * 1024


def _create_sqlite_engine(
    url: str, *, busy_timeout_ms: int, read_only: bool, pool_size: int, foreign_keys: bool
) -> Engine:
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
        # (and the pragma is a no-op inside a transaction, so it is set here, on connecting)
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if read_only:
            # the API only reads: refuse writes at the connection level
            cursor.execute("PRAGMA query_only=ON")
        else:
            # WAL lets the API read while an ingest writes: https://sqlite.org/wal.html
            cursor.execute("PRAGMA journal_mode=WAL")
            # a writer's inserts land on random pages of large indexes (42 story band keys an
            # article): a page cache past SQLite's 2 MB default keeps them out of the OS's
            # (story assignment at 100,000 articles: 6.2 -> 4.8 ms of CPU an article). It
            # grows only as pages are used; readers keep the default
            cursor.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
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


def _create_postgres_engine(
    url: str, *, read_only: bool, pool_size: int, timeout_s: float | None
) -> Engine:
    """Readers run each request in one REPEATABLE READ snapshot (a page and its total agree)
    on read-only transactions; writers keep READ COMMITTED and rely on ON CONFLICT."""
    options = "-c default_transaction_read_only=on" if read_only else ""
    connect_args: dict[str, Any] = connection_timeouts(timeout_s) if timeout_s else {}
    if options:
        connect_args["options"] = options
    return create_engine(
        url,
        # JSON as written, not \u-escaped: entity aliases are indexed for name search
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
        connect_args=connect_args,
        isolation_level="REPEATABLE READ" if read_only else "READ COMMITTED",
        pool_size=pool_size,
        max_overflow=-1,
        pool_pre_ping=True,
    )
