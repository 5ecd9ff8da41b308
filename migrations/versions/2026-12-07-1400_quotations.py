"""Quotations (issue 19): ``quotation`` (the same words across articles, with first seen and
speaker consensus), ``quotation_gram`` (every eight-word run of each one's longest form) and
``quote.quotation_id``, then the quotes already stored grouped by ``app.corpus``, article by
article in id order, with progress logged every 1,000 articles.

Revision ID: 8b4f6d2e0c31
Revises: 7a3e5c1d9b20
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.corpus import group_quotes

revision: str = "8b4f6d2e0c31"
down_revision: str | None = "7a3e5c1d9b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "quotation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("folded", sa.String(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("first_gram", sa.BigInteger(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        # added by 2026-12-07-1800_quotation_counts to databases already past this revision;
        # created here because the grouping below writes them
        sa.Column("source_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("story_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("first_quote_id", sa.Integer(), nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=False),
        sa.Column("first_published", sa.Date(), nullable=True),
        sa.Column("first_source", sa.String(), nullable=True),
        sa.Column("speaker", sa.String(), nullable=True),
        sa.Column("speaker_entity_id", sa.Integer(), nullable=True),
        sa.Column("speaker_share", sa.Float(), nullable=True),
        sa.Column("contested", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_quotation_key", "quotation", ["key"])
    op.create_index("ix_quotation_first_gram", "quotation", ["first_gram"])
    op.create_index("ix_quotation_speaker_entity_id", "quotation", ["speaker_entity_id"])
    op.create_index("ix_quotation_occurrences", "quotation", ["occurrences", "id"])
    op.create_index("ix_quotation_first_published", "quotation", ["first_published", "id"])
    op.create_table(
        "quotation_gram",
        sa.Column("gram", sa.BigInteger(), nullable=False),
        sa.Column(
            "quotation_id",
            sa.Integer(),
            sa.ForeignKey("quotation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("gram", "quotation_id"),
    )
    op.create_index("ix_quotation_gram_quotation_id", "quotation_gram", ["quotation_id"])
    # plain ALTER TABLE: a batch rebuild would drop the quote table's FTS and version triggers
    op.add_column("quote", sa.Column("quotation_id", sa.Integer(), nullable=True))
    op.create_index("ix_quote_quotation_id", "quote", ["quotation_id"])
    _group_quotes()


def _group_quotes() -> None:
    """Every stored article's quotes into their quotations, ``_BATCH`` article ids at a time."""
    connection = op.get_bind()
    total = connection.execute(sa.text("SELECT count(*) FROM article")).scalar_one()
    select = sa.text("SELECT id FROM article WHERE id > :last ORDER BY id LIMIT :n")
    session = Session(bind=connection)
    done, last = 0, 0
    while ids := connection.execute(select, {"last": last, "n": _BATCH}).scalars().all():
        for article_id in ids:
            group_quotes(session, article_id)
        done += len(ids)
        last = ids[-1]
        logger.info("quotations: the quotes of %d of %d articles grouped", done, total)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_quote_quotation_id", "quote")
    op.execute("ALTER TABLE quote DROP COLUMN quotation_id")
    op.drop_table("quotation_gram")
    op.drop_table("quotation")
