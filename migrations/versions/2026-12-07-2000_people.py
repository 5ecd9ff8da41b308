"""People across the corpus (issue 20): ``entity.merged_into`` and ``entity.surname_key``,
``mention.local_entity_id`` and ``quote.speaker_local_entity_id`` (the article's own entity of
a mention or quote the people stage moved), then the people already stored linked by
``app.corpus.people``, surname by surname, with progress logged every 500 surnames.

Revision ID: e8c3a6f1d4b7
Revises: f3b8d2a6c4e0
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.corpus.people import link_surnames
from app.corpus.peoplerules import surname_key
from app.ingest.store import refresh_entity_counts

revision: str = "e8c3a6f1d4b7"
down_revision: str | None = "f3b8d2a6c4e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 500


def upgrade() -> None:
    # plain ALTER TABLE: a batch rebuild would drop the tables' FTS and version triggers
    op.add_column("entity", sa.Column("merged_into", sa.Integer(), nullable=True))
    op.add_column("entity", sa.Column("surname_key", sa.String(), nullable=True))
    op.create_index("ix_entity_merged_into", "entity", ["merged_into"])
    op.create_index("ix_entity_surname_key", "entity", ["surname_key"])
    op.add_column("mention", sa.Column("local_entity_id", sa.Integer(), nullable=True))
    op.create_index("ix_mention_local_entity_id", "mention", ["local_entity_id"])
    op.add_column("quote", sa.Column("speaker_local_entity_id", sa.Integer(), nullable=True))
    op.create_index("ix_quote_speaker_local_entity_id", "quote", ["speaker_local_entity_id"])
    _link_people()


def _link_people() -> None:
    connection = op.get_bind()
    people = connection.execute(sa.text("SELECT id, name FROM entity WHERE type = 'PERSON'"))
    keys = [{"id": i, "key": surname_key(name, "PERSON")} for i, name in people]
    if keys:
        connection.execute(sa.text("UPDATE entity SET surname_key = :key WHERE id = :id"), keys)
    surnames = sorted({k["key"] for k in keys if k["key"] is not None})
    session = Session(bind=connection)
    for start in range(0, len(surnames), _BATCH):
        refresh_entity_counts(session, link_surnames(session, surnames[start : start + _BATCH]))
        logger.info(
            "people: %d of %d surnames linked", min(start + _BATCH, len(surnames)), len(surnames)
        )
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_quote_speaker_local_entity_id", "quote")
    op.execute(
        "UPDATE quote SET speaker_entity_id = speaker_local_entity_id "
        "WHERE speaker_local_entity_id IS NOT NULL"
    )
    op.execute("ALTER TABLE quote DROP COLUMN speaker_local_entity_id")
    op.drop_index("ix_mention_local_entity_id", "mention")
    op.execute("UPDATE mention SET entity_id = local_entity_id WHERE local_entity_id IS NOT NULL")
    op.execute("ALTER TABLE mention DROP COLUMN local_entity_id")
    op.drop_index("ix_entity_surname_key", "entity")
    op.drop_index("ix_entity_merged_into", "entity")
    op.execute("ALTER TABLE entity DROP COLUMN surname_key")
    op.execute("ALTER TABLE entity DROP COLUMN merged_into")
