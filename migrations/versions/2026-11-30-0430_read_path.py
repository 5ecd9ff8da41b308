"""Read path: a change counter behind ETag and Last-Modified, and case-folded speaker indexes.

Revision ID: 3c1d2e7a9b40
Revises: 8f2f50afa113
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c1d2e7a9b40"
down_revision: str | None = "8f2f50afa113"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One row counting committed changes to articles and entities (quotes and mentions only change
# with their article), so a response's validators cost one row read instead of a body hash.
_BUMP = (
    "UPDATE corpus_version SET version = version + 1, "
    "changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
)
_TRIGGERS = [
    f"CREATE TRIGGER {table}_version_{event[0].lower()} AFTER {event} ON {table} BEGIN {_BUMP}; END"
    for table in ("article", "entity")
    for event in ("INSERT", "UPDATE", "DELETE")
]


def upgrade() -> None:
    op.execute(
        "CREATE TABLE corpus_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "version INTEGER NOT NULL, changed_at TEXT NOT NULL)"
    )
    op.execute("INSERT INTO corpus_version VALUES (1, 0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
    for trigger in _TRIGGERS:
        op.execute(trigger)
    # `speaker=` compares lower() of both names: expression indexes let SQLite answer the OR
    # with two index lookups instead of a scan: https://sqlite.org/expridx.html
    op.execute("CREATE INDEX ix_quote_speaker_lower ON quote (lower(speaker))")
    op.execute("CREATE INDEX ix_quote_speaker_text_lower ON quote (lower(speaker_text))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_quote_speaker_text_lower")
    op.execute("DROP INDEX ix_quote_speaker_lower")
    for table in ("article", "entity"):
        for event in ("i", "u", "d"):
            op.execute(f"DROP TRIGGER {table}_version_{event}")
    op.execute("DROP TABLE corpus_version")
