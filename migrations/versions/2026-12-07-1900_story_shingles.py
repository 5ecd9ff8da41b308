"""Story shingle sets (issue 19): ``story_signature.shingles`` keeps each article's shingle set
(``app.corpus.shingles.packed_shingles``), so that a candidate near the threshold is judged
without shingling its body again (story assignment at 100,000 articles: the exact check was a
third of its CPU). Filled here for the articles already stored, with progress.

Revision ID: f3b8d2a6c4e0
Revises: e5a1c7b9d3f2
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.corpus.shingles import packed_shingles, shingles

revision: str = "f3b8d2a6c4e0"
down_revision: str | None = "e5a1c7b9d3f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    present = {c["name"] for c in sa.inspect(connection).get_columns("story_signature")}
    if "shingles" not in present:  # the stories revisions create it since this one exists
        op.add_column("story_signature", sa.Column("shingles", sa.LargeBinary(), nullable=True))
    bodies = sa.text(
        "SELECT a.id, a.body FROM article AS a JOIN story_signature AS s ON s.article_id = a.id "
        "WHERE s.shingles IS NULL AND a.id > :last ORDER BY a.id LIMIT :n"
    )
    store = sa.text(
        "UPDATE story_signature SET shingles = :shingles WHERE article_id = :id"
    ).bindparams(sa.bindparam("shingles", type_=sa.LargeBinary))
    total = connection.execute(
        sa.text("SELECT count(*) FROM story_signature WHERE shingles IS NULL")
    ).scalar_one()
    done, last = 0, 0
    while rows := connection.execute(bodies, {"last": last, "n": _BATCH}).all():
        connection.execute(
            store, [{"id": row.id, "shingles": packed_shingles(shingles(row.body))} for row in rows]
        )
        done += len(rows)
        last = rows[-1].id
        logger.info("story shingle sets: %d of %d articles", done, total)


def downgrade() -> None:
    op.execute("ALTER TABLE story_signature DROP COLUMN shingles")
