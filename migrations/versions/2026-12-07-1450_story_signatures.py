"""Story signatures (issue 19): ``story_signature`` keeps each article's MinHash signature, so
that confirming a story candidate reads 512 bytes instead of shingling its body again; and
shingles are now hashed word by word, which changes every band key. So the band keys and the
signatures of every stored article are computed again from the bodies, in batches with
progress logged (stories stay as they are: the similarities are the same). The table is
created here when missing (the stories revision creates it too, as it places articles with
today's code).

Revision ID: 9d5a7e3f1b42
Revises: 8b4f6d2e0c31
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.corpus.shingles import keys_of, packed, shingles, signature

revision: str = "9d5a7e3f1b42"
down_revision: str | None = "8b4f6d2e0c31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    if not sa.inspect(connection).has_table("story_signature"):
        op.create_table(
            "story_signature",
            sa.Column(
                "article_id",
                sa.Integer(),
                sa.ForeignKey("article.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("minhash", sa.LargeBinary(), nullable=False),
            # as the stories revision creates it (2026-12-07-1900_story_shingles fills it)
            sa.Column("shingles", sa.LargeBinary(), nullable=True),
        )
    connection.execute(sa.text("DELETE FROM story_band"))
    connection.execute(sa.text("DELETE FROM story_signature"))
    bodies = sa.text("SELECT id, body FROM article WHERE id > :last ORDER BY id LIMIT :n")
    signatures = sa.text("INSERT INTO story_signature (article_id, minhash) VALUES (:id, :m)")
    bands = sa.text("INSERT INTO story_band (key, article_id) VALUES (:key, :id)")
    total = connection.execute(sa.text("SELECT count(*) FROM article")).scalar_one()
    done, last = 0, 0
    while rows := connection.execute(bodies, {"last": last, "n": _BATCH}).all():
        minhashes = {row.id: signature(shingles(row.body)) for row in rows}
        connection.execute(signatures, [{"id": i, "m": packed(m)} for i, m in minhashes.items()])
        connection.execute(
            bands, [{"key": k, "id": i} for i, m in minhashes.items() for k in set(keys_of(m))]
        )
        done += len(rows)
        last = rows[-1].id
        logger.info("story signatures and bands: %d of %d articles", done, total)


def downgrade() -> None:
    pass  # the stories revision owns the table and drops it
