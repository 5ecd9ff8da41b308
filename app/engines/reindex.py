"""``corpus reindex``: every derived search structure rebuilt from the tables, for a database
whose index was lost or whose rows arrived by other means (a restored dump, rows copied in SQL
with the triggers off), and after a bulk load, when one sorted build beats a million row-by-row
insertions.

Each engine's structures are listed as data: SQLite's FTS5 indexes (emptied with
``delete-all``, filled again from their content table in id order, then merged into one
b-tree with ``optimize``: https://sqlite.org/fts5.html#the_rebuild_command), PostgreSQL's
ranking copy of every article's tsvector (``article_vector``) and its GIN indexes
(``REINDEX``). It all runs in one transaction: a reindex killed half way leaves the index as
it was, and readers see the old one until the new one is committed."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, text

from app.engines import POSTGRESQL

# rows per statement: the progress bar moves, the statement stays short
CHUNK = 5000


@dataclass(frozen=True)
class Fts5Index:
    """An external-content FTS5 table over ``table``'s ``columns``."""

    name: str
    table: str
    columns: tuple[str, ...]


SQLITE_INDEXES = (
    Fts5Index("article_fts", "article", ("title", "body")),
    Fts5Index("quote_fts", "quote", ("text",)),
    Fts5Index("entity_fts", "entity", ("name", "aliases")),
)
# PostgreSQL's generated tsvector columns are computed by the table itself; what derives from
# them is the ranking copy and the GIN indexes
POSTGRES_INDEXES = (
    "ix_article_search",
    "ix_article_vector_search",
    "ix_quote_search",
    "ix_entity_search",
)


@dataclass(frozen=True)
class Step:
    """One structure to rebuild: its name for the progress bar, the rows it reads, and the
    work (which reports each chunk of rows done)."""

    name: str
    rows: int
    run: Callable[[Callable[[int], None]], None]


def steps(connection: Connection) -> list[Step]:
    """What ``corpus reindex`` rebuilds on the connection's database, in order."""
    if connection.dialect.name == POSTGRESQL:
        return _postgres_steps(connection)
    return [_fts5_step(connection, index) for index in SQLITE_INDEXES]


def _count(connection: Connection, table: str) -> int:
    return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _fts5_step(connection: Connection, index: Fts5Index) -> Step:
    columns = ", ".join(index.columns)

    def run(advance: Callable[[int], None]) -> None:
        connection.execute(text(f"INSERT INTO {index.name}({index.name}) VALUES ('delete-all')"))
        for done in _chunks(
            connection,
            index.table,
            f"INSERT INTO {index.name}(rowid, {columns}) SELECT id, {columns} FROM "
            f"{index.table} WHERE id > :after AND id <= :upto",
        ):
            advance(done)
        connection.execute(text(f"INSERT INTO {index.name}({index.name}) VALUES ('optimize')"))

    return Step(f"{index.name} ({index.table})", _count(connection, index.table), run)


def _postgres_steps(connection: Connection) -> list[Step]:
    def vectors(advance: Callable[[int], None]) -> None:
        for done in _chunks(
            connection,
            "article",
            "INSERT INTO article_vector (article_id, search) SELECT id, search FROM article "
            "WHERE id > :after AND id <= :upto ON CONFLICT (article_id) DO UPDATE "
            "SET search = EXCLUDED.search "
            "WHERE article_vector.search IS DISTINCT FROM EXCLUDED.search",
        ):
            advance(done)

    def indexes(advance: Callable[[int], None]) -> None:
        for name in POSTGRES_INDEXES:
            connection.execute(text(f"REINDEX INDEX {name}"))
            advance(1)
        connection.execute(text("ANALYZE article, article_vector, quote, entity"))

    return [
        Step("article_vector (article)", _count(connection, "article"), vectors),
        Step("GIN indexes", len(POSTGRES_INDEXES), indexes),
    ]


def _chunks(connection: Connection, table: str, statement: str) -> Iterator[int]:
    """Run ``statement`` (with ``:after`` and ``:upto``) over ``table``'s ids, ``CHUNK`` rows at
    a time in id order; yields the rows of each chunk."""
    bounds = text(
        f"SELECT max(id), count(*) FROM (SELECT id FROM {table} WHERE id > :after "
        "ORDER BY id LIMIT :n) AS chunk"
    )
    after = 0
    while True:
        upto, rows = connection.execute(bounds, {"after": after, "n": CHUNK}).one()
        if not rows:
            return
        connection.execute(text(statement), {"after": after, "upto": upto})
        yield int(rows)
        after = int(upto)
