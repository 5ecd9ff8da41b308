"""Quote confidence: how sure each quote's attribution is, from the rule that made it (issue 9).

Revision ID: 3c9d1e7a5b42
Revises: 5b8e4f2c7d19
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9d1e7a5b42"
down_revision: str | None = "5b8e4f2c7d19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # rows ingested before this revision have no attribution confidence: 0, like "no speaker",
    # until they are re-ingested
    op.add_column("quote", sa.Column("confidence", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    # native DROP COLUMN (SQLite 3.35+), not batch mode: batch mode copies the table, and
    # dropping the old one would drop the quote_fts triggers with it
    op.execute("ALTER TABLE quote DROP COLUMN confidence")
