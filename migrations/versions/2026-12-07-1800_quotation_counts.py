"""Each quotation keeps its distinct sources and stories (``quotation.source_count``,
``story_count``), refreshed by ``app.corpus``: counted per listed row they made the first page
of ``/quotations`` cost 94 ms at 100,000 articles (issue 19). Filled here for the quotations
already stored. A database that reached the quotations revision after this one was written
has the columns already (that revision creates them, because its grouping writes them).

Revision ID: e5a1c7b9d3f2
Revises: d7b2f5a8e3c1
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a1c7b9d3f2"
down_revision: str | None = "d7b2f5a8e3c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "UPDATE quotation SET "
    "source_count = (SELECT count(DISTINCT a.source) FROM quote AS q "
    "JOIN article AS a ON a.id = q.article_id WHERE q.quotation_id = quotation.id), "
    "story_count = (SELECT count(DISTINCT s.story_id) FROM quote AS q "
    "JOIN story_article AS s ON s.article_id = q.article_id WHERE q.quotation_id = quotation.id)"
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("quotation")}
    for name in ("source_count", "story_count"):
        if name not in present:
            op.add_column(
                "quotation", sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            )
    op.execute(_FILL)


def downgrade() -> None:
    for name in ("source_count", "story_count"):
        op.execute(f"ALTER TABLE quotation DROP COLUMN {name}")
