"""Quotes in headlines (issue 20): ``quote.field`` says which of the article's texts a quote's
offsets (and its speaker's) index, ``title`` or ``body``; every quote stored before is a body
quote.

Revision ID: c4e1a9f3d2b6
Revises: 9d5a7e3f1b42
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e1a9f3d2b6"
down_revision: str | None = "9d5a7e3f1b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE: a batch rebuild would drop the quote table's FTS and version triggers
    op.add_column("quote", sa.Column("field", sa.String(), nullable=False, server_default="body"))


def downgrade() -> None:
    op.execute("ALTER TABLE quote DROP COLUMN field")
