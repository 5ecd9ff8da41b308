"""Engine factory with the SQLite pragmas every connection needs, and the session dependency."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, event, func
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_db_engine(url: str, *, busy_timeout_ms: int = 5000, read_only: bool = False) -> Engine:
    """Create an engine; SQLite files get their folder created and per-connection pragmas."""
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if (path := sqlite_path(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False} if is_sqlite else {})
    if is_sqlite:

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
            if not read_only:
                # let SQLAlchemy's "begin" event emit BEGIN itself (see _begin_immediate)
                dbapi_connection.isolation_level = None

    if is_sqlite and not read_only:

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            # take the write lock when the transaction starts, not at its first write, so two
            # ingests cannot both read "not stored yet" and then collide on a unique key:
            # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def year_month(column: Any) -> Any:
    """'YYYY-MM' of a date column; SQLite stores dates as ISO text."""
    return func.strftime("%Y-%m", column)


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
