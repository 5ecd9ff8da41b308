"""Names stored folded (case folded, accents removed, spaces collapsed, by
``app.engines.folded``): quotes' speakers (``speaker_key``, ``speaker_text_key``) and entities'
names (``name_key``), so that ``speaker=`` and ``name_prefix=`` ignore case and accents on SQLite
too, where ``lower()`` folds ASCII only, and compare the same keys on both engines. The speaker
keys get the indexes that the lower() (SQLite) and lower(corpus_unaccent()) (PostgreSQL)
expression indexes were.

Rows are folded in batches, read by id. On PostgreSQL the whole upgrade is one transaction that
holds the quote and entity tables' locks to the end: run it before the API starts, as
``compose.yaml``'s one-shot ``migrate`` service does (about 10 s per million quotes here).

Revision ID: 4f1c2a9e8b37
Revises: 609b741da090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db.folding import folded

revision: str = "4f1c2a9e8b37"
down_revision: str | None = "609b741da090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000
# table → {stored key: the column it folds}
_KEYS = {
    "quote": {"speaker_key": "speaker", "speaker_text_key": "speaker_text"},
    "entity": {"name_key": "name"},
}
_OLD_INDEXES = {
    "sqlite": {
        "ix_quote_speaker_lower": "lower(speaker)",
        "ix_quote_speaker_text_lower": "lower(speaker_text)",
    },
    "postgresql": {
        "ix_quote_speaker_fold": "lower(corpus_unaccent(speaker))",
        "ix_quote_speaker_text_fold": "lower(corpus_unaccent(speaker_text))",
    },
}


def upgrade() -> None:
    for table, keys in _KEYS.items():
        for key in keys:
            # plain ALTER TABLE: a batch rebuild would drop the table's FTS and version triggers
            op.add_column(table, sa.Column(key, sa.String(), nullable=True))
        _fold_rows(table, keys)
    for name in _OLD_INDEXES[op.get_bind().dialect.name]:
        op.execute(f"DROP INDEX {name}")
    op.create_index("ix_quote_speaker_key", "quote", ["speaker_key", "article_id", "start"])
    op.create_index(
        "ix_quote_speaker_text_key", "quote", ["speaker_text_key", "article_id", "start"]
    )


def _fold_rows(table: str, keys: dict[str, str]) -> None:
    """Fill the keys of every row, ``_BATCH`` rows at a time."""
    connection = op.get_bind()
    columns = ", ".join(keys.values())
    select = sa.text(f"SELECT id, {columns} FROM {table} WHERE id > :last ORDER BY id LIMIT :n")
    assignments = ", ".join(f"{key} = :{key}" for key in keys)
    update = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id")
    last = 0
    while rows := connection.execute(select, {"last": last, "n": _BATCH}).all():
        connection.execute(
            update,
            [
                {"id": row.id} | {key: folded(getattr(row, column)) for key, column in keys.items()}
                for row in rows
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_quote_speaker_text_key", "quote")
    op.drop_index("ix_quote_speaker_key", "quote")
    for name, expression in _OLD_INDEXES[op.get_bind().dialect.name].items():
        op.execute(f"CREATE INDEX {name} ON quote ({expression}, article_id, start)")
    for table, keys in _KEYS.items():
        for key in keys:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {key}")
