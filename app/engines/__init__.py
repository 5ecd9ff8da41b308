"""The engine seam: which database a URL names, and the small SQL pieces that differ between
SQLite and PostgreSQL, compiled per dialect so that statements stay engine-neutral.

Full-text search itself lives in one module per engine (``sqlite.py``, ``postgres.py``) behind
the functions of ``app.search``; everything else the queries need is here (Wagtail's search
backends are the model: one query model, one compiler per database).
"""

import unicodedata
from typing import Any

from sqlalchemy import Boolean, bindparam
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.engines.tsquery import render_tsquery, tsquery_lexeme
from app.query import Node, render_fts5

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


def insert_ignoring_duplicates(dialect_name: str, table: Any, *unique: str) -> Any:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` in the dialect's own syntax: concurrent
    writers on PostgreSQL may race to create the same row, and the loser must not fail."""
    insert = postgresql_dialect.insert if dialect_name == POSTGRESQL else sqlite_dialect.insert
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


# what the compatibility decomposition leaves alone: Latin letters that carry their mark inside,
# typographic apostrophes and dashes (as PostgreSQL's unaccent reads them)
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ħ": "h"}
    | {"Ħ": "H", "ı": "i", "þ": "th", "Þ": "TH", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
    | {"ŧ": "t", "Ŧ": "T", "ŋ": "n", "Ŋ": "N", "ĸ": "q"}
    | dict.fromkeys("\u2018\u2019\u201b\u02bc\u2032", "'")
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-")
)


def folded(text: str | None) -> str | None:
    """A name as names are compared, the same on every engine: case folded, accents removed
    (compatibility decomposition without its combining marks, and the letters above) and
    spaces collapsed, so that "EMILE  zola" finds "Émile Zola" and "Odegard" "Ødegård".
    Quotes store their speakers folded (``speaker_key``), entities their names (``name_key``):
    a change here needs a migration that folds the stored names again."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class TextMatch(ColumnElement[bool]):
    """A condition on ``quote`` (its text matches a query) or ``entity`` (its name or aliases
    have words starting with each given word), compiled to the engine's full-text index.

    The query is rendered for both engines when the condition is built, each as a bound value:
    the SQL's shape is then the same for every query, so SQLAlchemy compiles it once (compiling
    it anew cost an autocomplete three quarters of its time)."""

    type = Boolean()
    # a condition in itself: without this, SQLite gets "… = 1", which hides the IN from the
    # planner (it then walked every entity: autocomplete 0.9 -> 4 ms)
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [
        ("table", InternalTraversal.dp_string),
        ("config", InternalTraversal.dp_string),
        ("fts5", InternalTraversal.dp_clauseelement),
        ("tsquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, table: str, query: Node | list[str]) -> None:
        self.table = table
        if isinstance(query, list):
            fts5 = " AND ".join(f'"{word}" *' for word in query)
            self.config = "corpus_names"
            tsquery = " & ".join(tsquery_lexeme(word) + ":*" for word in query)
        else:
            fts5, self.config, tsquery = render_fts5(query), "corpus", render_tsquery(query)
        self.fts5: BindParameter[str] = bindparam(f"{table}_fts5", fts5, unique=True)
        self.tsquery: BindParameter[str] = bindparam(f"{table}_tsquery", tsquery, unique=True)


def quote_text_matches(query: Node) -> TextMatch:
    return TextMatch("quote", query)


def entity_name_matches(words: list[str]) -> TextMatch:
    return TextMatch("entity", words)


@compiles(TextMatch)
def _match_sqlite(element: TextMatch, compiler: Any, **kw: Any) -> str:
    fts = f"{element.table}_fts"
    match = compiler.process(element.fts5, **kw)
    return f"{element.table}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {match})"


@compiles(TextMatch, POSTGRESQL)
def _match_postgres(element: TextMatch, compiler: Any, **kw: Any) -> str:
    tsquery = compiler.process(element.tsquery, **kw)
    return f"{element.table}.search @@ to_tsquery('{element.config}', {tsquery})"
