"""Read path: a change counter behind ETag and Last-Modified, case-folded speaker indexes, and
each article's packed entity ids with a covering index for filters and facets.

Revision ID: 3c1d2e7a9b40
Revises: 8f2f50afa113
"""

import itertools
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db.models import pack_ids

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
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(
        "CREATE TABLE corpus_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "version INTEGER NOT NULL, changed_at TEXT NOT NULL)"
    )
    now = (
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
        if sqlite
        else """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    )
    op.execute(f"INSERT INTO corpus_version VALUES (1, 0, {now})")
    # PostgreSQL's triggers, indexes and search columns come in the postgres_search revision
    if sqlite:
        _upgrade_sqlite()
    else:
        op.add_column("article", sa.Column("entity_ids", sa.LargeBinary(), nullable=True))
        _fill_entity_ids()


def _upgrade_sqlite() -> None:
    for trigger in _TRIGGERS:
        op.execute(trigger)
    # `speaker=` compares lower() of both names: expression indexes let SQLite answer the OR
    # with two index lookups instead of a scan (https://sqlite.org/expridx.html), and carry the
    # list's order so the page is sorted without reading every matching quote
    op.execute("CREATE INDEX ix_quote_speaker_lower ON quote (lower(speaker), article_id, start)")
    op.execute(
        "CREATE INDEX ix_quote_speaker_text_lower ON quote (lower(speaker_text), article_id, start)"
    )
    # plain ALTER TABLE: a batch rebuild of the table would drop its FTS and version triggers
    op.add_column("article", sa.Column("entity_ids", sa.LargeBinary(), nullable=True))
    _fill_entity_ids()
    # what search filters and facets read of each matching article, in an index of narrow
    # rows: the table's rows hold the whole body, which SQLite reads past to reach the columns
    # after it (https://sqlite.org/fileformat2.html#ovflpgs)
    op.execute(
        "CREATE INDEX ix_article_facets ON article (id, source, published, author, entity_ids)"
    )


def _fill_entity_ids() -> None:
    connection = op.get_bind()
    pairs = connection.execute(
        sa.text("SELECT DISTINCT article_id, entity_id FROM mention ORDER BY article_id")
    )
    rows = [
        {"id": article_id, "ids": pack_ids(entity for _, entity in group)}
        for article_id, group in itertools.groupby(pairs, key=lambda pair: pair[0])
    ]
    if rows:
        connection.execute(sa.text("UPDATE article SET entity_ids = :ids WHERE id = :id"), rows)
    connection.execute(
        sa.text("UPDATE article SET entity_ids = :empty WHERE entity_ids IS NULL"), {"empty": b""}
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("article", "entity_ids")
        op.execute("DROP TABLE corpus_version")
        return
    op.execute("DROP INDEX ix_article_facets")
    op.drop_column("article", "entity_ids")
    op.execute("DROP INDEX ix_quote_speaker_text_lower")
    op.execute("DROP INDEX ix_quote_speaker_lower")
    for table in ("article", "entity"):
        for event in ("i", "u", "d"):
            op.execute(f"DROP TRIGGER {table}_version_{event}")
    op.execute("DROP TABLE corpus_version")
