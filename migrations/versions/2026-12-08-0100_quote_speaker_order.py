"""The speaker indexes of ``quote`` follow the list's whole order (article, field, start, id)
and carry ``kind``: a page of one speaker's quotes is then a walk of each index that stops at
the page, and a count up to its bound reads the index alone (issue 21: 125,000 quotes of one
speaker at a million articles were all sorted for every page).

Revision ID: b9e5d1f3a7c2
Revises: a7d4c2e9f1b3
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b9e5d1f3a7c2"
down_revision: str | None = "a7d4c2e9f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDER = ["article_id", "field", "start", "id", "kind"]
_KEYS = {
    "ix_quote_speaker_key": "speaker_key",
    "ix_quote_speaker_text_key": "speaker_text_key",
    "ix_quote_speaker_entity_id": "speaker_entity_id",
}
_BEFORE = {
    "ix_quote_speaker_key": ["speaker_key", "article_id", "start"],
    "ix_quote_speaker_text_key": ["speaker_text_key", "article_id", "start"],
    "ix_quote_speaker_entity_id": ["speaker_entity_id"],
}


def upgrade() -> None:
    for name, key in _KEYS.items():
        op.drop_index(name, "quote")
        op.create_index(name, "quote", [key, *_ORDER])


def downgrade() -> None:
    for name, columns in _BEFORE.items():
        op.drop_index(name, "quote")
        op.create_index(name, "quote", columns)
