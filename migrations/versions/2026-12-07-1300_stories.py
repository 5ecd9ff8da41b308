"""Stories (issue 19): ``story``, ``story_article`` (each article's story), ``story_band`` (the
LSH band table) and ``story_signature`` (each article's MinHash signature), then a story for
every stored article, built by ``app.corpus`` in id order with its progress logged every 1,000
articles (about 2 ms an article).

Revision ID: 7a3e5c1d9b20
Revises: 516dc74011ec
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.corpus import join_story

revision: str = "7a3e5c1d9b20"
down_revision: str | None = "516dc74011ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("first_article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("first_published", sa.Date(), nullable=True),
    )
    op.create_index("ix_story_size", "story", ["size", "id"])
    op.create_index("ix_story_first_published", "story", ["first_published", "id"])
    op.create_table(
        "story_article",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "story_id", sa.Integer(), sa.ForeignKey("story.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_story_article_story_id", "story_article", ["story_id"])
    op.create_table(
        "story_band",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", "article_id"),
    )
    op.create_index("ix_story_band_article_id", "story_band", ["article_id"])
    # added by 9d5a7e3f1b42; created here too because ``join_story`` below writes it
    create_signature_table()
    _build_stories()


def create_signature_table() -> None:
    op.create_table(
        "story_signature",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        # added by 2026-12-07-1900_story_shingles to databases already past this revision;
        # created here because the stories written below (app.corpus) store it
        sa.Column("shingles", sa.LargeBinary(), nullable=True),
    )


def _build_stories() -> None:
    """Every stored article into its story, ``_BATCH`` articles read at a time."""
    connection = op.get_bind()
    total = connection.execute(sa.text("SELECT count(*) FROM article")).scalar_one()
    select = sa.text("SELECT id, body FROM article WHERE id > :last ORDER BY id LIMIT :n")
    session = Session(bind=connection)
    done, last = 0, 0
    while rows := connection.execute(select, {"last": last, "n": _BATCH}).all():
        for row in rows:
            join_story(session, row.id, row.body)
        done += len(rows)
        last = rows[-1].id
        logger.info("stories: %d of %d articles placed", done, total)
    session.flush()


def downgrade() -> None:
    op.drop_table("story_signature")
    op.drop_table("story_band")
    op.drop_table("story_article")
    op.drop_table("story")
