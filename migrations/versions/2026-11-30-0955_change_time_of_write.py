"""The change counter's time on PostgreSQL is when the change was written (clock_timestamp()),
not when its transaction began (now()), as SQLite's strftime('now') per statement already is.

A writer first waits for the counter's row lock (app.engines.lock_for_writing), so with now()
a change stored after another writer's commit could carry a time from before it: Last-Modified
did not move, and If-Modified-Since alone got a 304 for a changed answer (issue 8).

Revision ID: 609b741da090
Revises: 7e4a2b9c1d05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "609b741da090"
down_revision: str | None = "7e4a2b9c1d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bump(clock: str) -> str:
    changed_at = f"""to_char({clock} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    return (
        "CREATE OR REPLACE FUNCTION corpus_version_bump() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        f"UPDATE corpus_version SET version = version + 1, changed_at = {changed_at}; "
        "RETURN NULL; END $$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_bump("clock_timestamp()"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_bump("now()"))
