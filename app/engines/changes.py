"""Reading the corpus's change token (a counter kept by triggers, see the read-path migration):
each engine's cheapest way, one class per way, chosen by ``ChangeTokenReader``."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db.session import ChangeToken
from app.engines import POSTGRESQL
from app.engines.connect import connection_timeouts, sqlite_path

_CHANGE_TOKEN_SQL = "SELECT version, changed_at FROM corpus_version"


def read_change_token(engine: Engine) -> ChangeToken | None:
    """The corpus's change counter, or None when the database has no such table yet."""
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


class _Reader(Protocol):
    def __call__(self) -> ChangeToken | None: ...

    def close(self) -> None: ...


class ChangeTokenReader:
    """Reads the change counter cheaply enough for every request, on a connection of its own
    (outside the pool, so a request answered from the response cache takes no pooled
    connection); an in-memory database is read through the engine."""

    def __init__(self, engine: Engine, *, timeout_s: float | None = None) -> None:
        self.reader: _Reader
        if engine.dialect.name == POSTGRESQL:
            self.reader = _PostgresReader(engine, timeout_s=timeout_s)
        elif (path := sqlite_path(str(engine.url))) is not None:
            self.reader = _SqliteFileReader(path)
        else:
            self.reader = _EngineReader(engine)

    def __call__(self) -> ChangeToken | None:
        return self.reader()

    def close(self) -> None:
        self.reader.close()


class _EngineReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> ChangeToken | None:
        return read_change_token(self.engine)

    def close(self) -> None:
        pass


class _SqliteFileReader:
    """Asks ``PRAGMA data_version``, which moves only when another connection has committed
    (https://sqlite.org/pragma.html#pragma_data_version), and reads the counter only then."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None
        self.seen: tuple[int, ChangeToken | None] | None = None

    def __call__(self) -> ChangeToken | None:
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

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class _PostgresReader:
    """Reads the counter's row each time: one index lookup, in autocommit. ``timeout_s`` bounds
    connecting and an unanswered read (a replica's host gone silent must not hold the event
    loop for the system's TCP timeout, minutes)."""

    def __init__(self, engine: Engine, *, timeout_s: float | None = None) -> None:
        self.engine = engine
        self.connection: Any = None
        self.options = connection_timeouts(timeout_s) if timeout_s else {}

    def __call__(self) -> ChangeToken | None:
        import psycopg

        try:
            if self.connection is None:
                url = self.engine.url.set(drivername="postgresql")
                conninfo = url.render_as_string(hide_password=False)
                self.connection = psycopg.connect(conninfo, autocommit=True, **self.options)
            return _token(self.connection.execute(_CHANGE_TOKEN_SQL).fetchone())
        except psycopg.Error:
            self.close()  # a server restart: connect again next time
            return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
