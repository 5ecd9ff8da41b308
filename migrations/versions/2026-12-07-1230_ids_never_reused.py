"""SQLite: ids are never reused. Without ``AUTOINCREMENT`` SQLite gives a new row the largest
id plus one, so deleting the newest article and adding another handed the old id (and its links)
to a different article (issue 18). ``article``, ``quote`` and ``entity`` are rebuilt with
``INTEGER PRIMARY KEY AUTOINCREMENT`` (https://sqlite.org/autoinc.html) by SQLite's own
procedure for table changes (https://sqlite.org/lang_altertable.html#otheralter): a new table
from the old one's SQL, the rows copied with their ids, the old table dropped and the new one
renamed, its indexes and triggers made again from their saved SQL. ``env.py`` turns foreign keys
off for SQLite migrations, so the drop cascades nowhere. Nothing to do on PostgreSQL, whose
``SERIAL`` sequences never hand out a number twice.

Revision ID: 7b3e5d1c9a20
Revises: 2d6b8e0f4a13
"""

import re
from collections.abc import Sequence

from alembic import op

revision: str = "7b3e5d1c9a20"
down_revision: str | None = "2d6b8e0f4a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("article", "quote", "entity")
# how SQLAlchemy wrote the key: a column, then a table constraint at the end
_PLAIN_ID = "id INTEGER NOT NULL,"
_PLAIN_KEY_re = re.compile(r",\s*PRIMARY KEY \(id\)")
_AUTO_ID = "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,"


def _rebuild(table: str, autoincrement: bool) -> None:
    connection = op.get_bind()
    [create] = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).one()
    if autoincrement:
        assert _PLAIN_ID in create and _PLAIN_KEY_re.search(create), create
        new = _PLAIN_KEY_re.sub("", create.replace(_PLAIN_ID, _AUTO_ID, 1), count=1)
    else:
        assert _AUTO_ID in create, create
        new = create.replace(_AUTO_ID, _PLAIN_ID, 1).rstrip().removesuffix(")")
        new = new.rstrip() + ", \n\tPRIMARY KEY (id)\n)"
    # indexes and triggers go with the old table: saved here, made again on the new one
    extras = [
        sql
        for (sql,) in connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL",
            (table,),
        )
    ]
    staging = f"{table}_rebuilt"
    # the name as SQLAlchemy wrote it (article) or as RENAME leaves it ("article")
    new, renamed = re.subn(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {staging} (", new)
    assert renamed == 1, new
    connection.exec_driver_sql(new)
    connection.exec_driver_sql(f"INSERT INTO {staging} SELECT * FROM {table}")
    connection.exec_driver_sql(f"DROP TABLE {table}")
    connection.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {table}")
    for sql in extras:
        connection.exec_driver_sql(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            _rebuild(table, autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            _rebuild(table, autoincrement=False)
