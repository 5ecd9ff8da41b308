"""The extraction each article was annotated with (issue 20): ``article.extraction`` holds
the model and rules version (``app.nlp.extraction_version``); the articles stored before have
none, so ``corpus reannotate`` counts them stale.

Revision ID: d7b2f5a8e3c1
Revises: c4e1a9f3d2b6
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7b2f5a8e3c1"
down_revision: str | None = "c4e1a9f3d2b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE: a batch rebuild would drop the article table's triggers
    op.add_column("article", sa.Column("extraction", sa.String(), nullable=True))
    # finding the stale articles reads this index, not the rows (bodies run to megabytes)
    op.create_index("ix_article_extraction", "article", ["extraction", "id"])


def downgrade() -> None:
    op.drop_index("ix_article_extraction", "article")
    op.execute("ALTER TABLE article DROP COLUMN extraction")
