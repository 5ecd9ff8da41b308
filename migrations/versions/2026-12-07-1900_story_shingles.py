"""Story shingle sets and quicker signatures (issue 19): ``story_signature.shingles`` keeps each
article's shingle set (``app.corpus.shingles.packed_shingles``), so that a candidate near the
threshold is judged without shingling its body again (a third of story assignment's CPU at
100,000 articles), and the MinHash signatures are now made by multiply-add-shift hashing, so
every stored signature and band key is made again here from the bodies, with progress.

Revision ID: f3b8d2a6c4e0
Revises: e5a1c7b9d3f2
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.corpus.shingles import keys_of, packed, packed_shingles, shingles, signature

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
    connection.execute(sa.text("DELETE FROM story_band"))
    bodies = sa.text(
        "SELECT a.id, a.body FROM article AS a JOIN story_signature AS s ON s.article_id = a.id "
        "WHERE a.id > :last ORDER BY a.id LIMIT :n"
    )
    store = sa.text(
        "UPDATE story_signature SET minhash = :minhash, shingles = :shingles WHERE article_id = :id"
    ).bindparams(
        sa.bindparam("minhash", type_=sa.LargeBinary),
        sa.bindparam("shingles", type_=sa.LargeBinary),
    )
    bands = sa.text("INSERT INTO story_band (key, article_id) VALUES (:key, :id)")
    total = connection.execute(sa.text("SELECT count(*) FROM story_signature")).scalar_one()
    done, last = 0, 0
    while rows := connection.execute(bodies, {"last": last, "n": _BATCH}).all():
        sets = {row.id: shingles(row.body) for row in rows}
        minhashes = {i: signature(hashed) for i, hashed in sets.items()}
        connection.execute(
            store,
            [
                {"id": i, "minhash": packed(m), "shingles": packed_shingles(sets[i])}
                for i, m in minhashes.items()
            ],
        )
        connection.execute(
            bands, [{"key": k, "id": i} for i, m in minhashes.items() for k in set(keys_of(m))]
        )
        done += len(rows)
        last = rows[-1].id
        logger.info("story shingle sets, signatures and bands: %d of %d articles", done, total)


def downgrade() -> None:
    op.execute("ALTER TABLE story_signature DROP COLUMN shingles")
