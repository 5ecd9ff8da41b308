"""Quotes store their speakers folded (``speaker_key``, ``speaker_text_key``: case folded,
accents removed, spaces collapsed, by ``app.engines.folded``), so that ``speaker=`` ignores
case and accents on SQLite too, where ``lower()`` folds ASCII only; both engines compare the
same keys through the same indexes, which replace the lower() (SQLite) and
lower(corpus_unaccent()) (PostgreSQL) expression indexes.

Revision ID: 4f1c2a9e8b37
Revises: 609b741da090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.engines import folded

revision: str = "4f1c2a9e8b37"
down_revision: str | None = "609b741da090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000
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
    # plain ALTER TABLE: a batch rebuild of the table would drop its FTS and version triggers
    op.add_column("quote", sa.Column("speaker_key", sa.String(), nullable=True))
    op.add_column("quote", sa.Column("speaker_text_key", sa.String(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, speaker, speaker_text FROM quote "
            "WHERE speaker IS NOT NULL OR speaker_text IS NOT NULL ORDER BY id"
        )
    ).all()
    update = sa.text(
        "UPDATE quote SET speaker_key = :key, speaker_text_key = :text_key WHERE id = :id"
    )
    for start in range(0, len(rows), _BATCH):
        connection.execute(
            update,
            [
                {"id": row.id, "key": folded(row.speaker), "text_key": folded(row.speaker_text)}
                for row in rows[start : start + _BATCH]
            ],
        )
    for name in _OLD_INDEXES[connection.dialect.name]:
        op.execute(f"DROP INDEX {name}")
    op.create_index("ix_quote_speaker_key", "quote", ["speaker_key", "article_id", "start"])
    op.create_index(
        "ix_quote_speaker_text_key", "quote", ["speaker_text_key", "article_id", "start"]
    )


def downgrade() -> None:
    op.drop_index("ix_quote_speaker_text_key", "quote")
    op.drop_index("ix_quote_speaker_key", "quote")
    for name, expression in _OLD_INDEXES[op.get_bind().dialect.name].items():
        op.execute(f"CREATE INDEX {name} ON quote ({expression}, article_id, start)")
    op.execute("ALTER TABLE quote DROP COLUMN speaker_text_key")
    op.execute("ALTER TABLE quote DROP COLUMN speaker_key")
