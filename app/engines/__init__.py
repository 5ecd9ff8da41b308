"""Every difference between SQLite and PostgreSQL: here, which database a URL names, which
module searches it, upserts and write locks; beside it, connecting, change tokens, facets,
full-text conditions and the schema filter (Wagtail's search backends are the model)."""

import importlib
from types import ModuleType
from typing import Any

from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

SQLITE, POSTGRESQL = "sqlite", "postgresql"
# the largest id either engine stores: PostgreSQL's `integer` (SERIAL) is 32-bit, and one limit
# for both keeps a URL that is valid on one engine valid on the other
MAX_ID = 2**31 - 1


def database_url(url: str) -> str:
    """The SQLAlchemy URL to connect with: ``postgresql://`` (or ``postgres://``) gets the
    psycopg 3 driver; any other URL is returned as given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def engine_name(url: str) -> str:
    """``sqlite`` or ``postgresql``; ValueError for a database this service cannot use."""
    name = make_url(database_url(url)).get_backend_name()
    if name not in (SQLITE, POSTGRESQL):
        raise ValueError(f"unsupported database {name!r}: use a sqlite:// or postgresql:// URL")
    return name


# each engine's search module, imported when first used (as Wagtail names its search backends by
# dotted path): they render app.search's query tree, so they import it, not it them
_SEARCH_MODULES = {SQLITE: "app.engines.sqlite", POSTGRESQL: "app.engines.postgres"}


def search_module(session: Session) -> ModuleType:
    """The search module of the session's engine: the functions ``app.search.Engine`` lists."""
    return importlib.import_module(_SEARCH_MODULES[session.get_bind().dialect.name])


def insert_ignoring_duplicates(session: Session, table: Any, *unique: str) -> Any:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` for the session's database, made with its
    dialect's insert (SQLAlchemy has ON CONFLICT only per dialect): concurrent writers on
    PostgreSQL may race to create the same row, and the loser must not fail."""
    postgres = session.get_bind().dialect.name == POSTGRESQL
    insert = postgresql_dialect.insert if postgres else sqlite_dialect.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(unique))


def lock_for_writing(connection: Any) -> None:
    """Make a write transaction wait for other writers before its first write, as SQLite's
    ``BEGIN IMMEDIATE`` does: on PostgreSQL, by locking the change counter's row, which every
    write to articles and entities updates anyway (taking it first means two writers cannot
    each hold a row the other needs: no deadlock). Nothing to do on SQLite."""
    if connection.dialect.name == POSTGRESQL:
        connection.exec_driver_sql("SELECT 1 FROM corpus_version FOR UPDATE")


def is_conflict(error: Any) -> bool:
    """A write that lost a race with another writer on PostgreSQL (a unique key stored by it
    meanwhile, a deadlock, a serialization failure): worth running again, when it will see the
    other writer's rows. SQLSTATEs: https://www.postgresql.org/docs/15/errcodes-appendix.html"""
    return getattr(error, "sqlstate", None) in ("23505", "40P01", "40001")


def is_busy(error: BaseException) -> bool:
    """Another writer held SQLite's lock past the busy timeout (SQLITE_BUSY, whose message is
    "database is locked": https://sqlite.org/rescode.html#busy): worth trying again later.
    Only the driver's operational errors count, whatever another error's message says."""
    if not isinstance(error, OperationalError):
        return False
    orig = error.orig
    name = getattr(orig, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)


def read_without_lock(engine: Any, statement: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of one ``SELECT … IN ({values})``, run outside any transaction: a writer's
    engine takes SQLite's write lock when its transaction begins, which a read that needs no
    snapshot must not wait for. ``{values}`` becomes one placeholder per value, in the
    driver's own style (sqlite3 takes ``?``, psycopg ``%s``)."""
    mark = "?" if engine.dialect.name == SQLITE else "%s"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        rows = cursor.execute(statement.format(values=",".join([mark] * len(values))), values)
        result = [tuple(row) for row in rows.fetchall()]
        cursor.close()
    finally:
        connection.close()
    return result
