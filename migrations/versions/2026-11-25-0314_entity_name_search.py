"""Entity name search: an FTS5 index over names and aliases for prefix autocomplete.

Revision ID: 8f2f50afa113
Revises: 633f9795d6c6
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8f2f50afa113"
down_revision: str | None = "633f9795d6c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# unicode61 with remove_diacritics folds case and accents ("Sao" finds "São"); no porter, names
# are not inflected. prefix='1 2 3' keeps short prefixes fast:
# https://sqlite.org/fts5.html#prefix_indexes
_CREATE = [
    "CREATE VIRTUAL TABLE entity_fts USING fts5(name, aliases, content='entity', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE TRIGGER entity_fts_ai AFTER INSERT ON entity BEGIN "
    "INSERT INTO entity_fts(rowid, name, aliases) VALUES (new.id, new.name, new.aliases); END",
    "CREATE TRIGGER entity_fts_ad AFTER DELETE ON entity BEGIN "
    "INSERT INTO entity_fts(entity_fts, rowid, name, aliases) "
    "VALUES ('delete', old.id, old.name, old.aliases); END",
    "CREATE TRIGGER entity_fts_au AFTER UPDATE OF name, aliases ON entity BEGIN "
    "INSERT INTO entity_fts(entity_fts, rowid, name, aliases) "
    "VALUES ('delete', old.id, old.name, old.aliases); "
    "INSERT INTO entity_fts(rowid, name, aliases) VALUES (new.id, new.name, new.aliases); END",
    "INSERT INTO entity_fts(entity_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":  # PostgreSQL: the postgres_search revision
        return
    for statement in _CREATE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS entity_fts_{suffix}")
    op.execute("DROP TABLE IF EXISTS entity_fts")
