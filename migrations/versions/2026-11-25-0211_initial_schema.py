"""Initial schema: articles, entities, mentions, quotes, and FTS5 indexes kept in sync by triggers.

Revision ID: 633f9795d6c6
Revises:
Create Date: 2026-11-25 02:11:12.803651
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# External-content FTS5 tables with the sync triggers from https://sqlite.org/fts5.html#external_content_tables
# porter over unicode61 stems English words; remove_diacritics 2 folds accents (é → e).
_TOKENIZE = "porter unicode61 remove_diacritics 2"
_FTS = {
    "article": ("title", "body"),
    "quote": ("text",),
}
# bm25 weights per column: a title match counts ten times a body match
_RANK = {"article": "bm25(10.0, 1.0)", "quote": "bm25()"}


def _create_fts(table: str, columns: tuple[str, ...]) -> None:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='{_TOKENIZE}')"
    )
    op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('rank', '{_RANK[table]}')")
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    # index rows that exist already (none on a fresh database)
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _drop_fts(table: str) -> None:
    fts = f"{table}_fts"
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")


revision: str = "633f9795d6c6"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ingested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_author"), ["author"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_published"), ["published"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_source_id"), ["source_id"], unique=True)

    op.create_table(
        "entity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "type"),
    )
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entity_mention_count"), ["mention_count"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_entity_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_entity_type"), ["type"], unique=False)

    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mention_article_id"), ["article_id"], unique=False)
        batch_op.create_index(
            "ix_mention_entity_article", ["entity_id", "article_id"], unique=False
        )

    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cue", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("speaker", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("speaker_text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("speaker_start", sa.Integer(), nullable=True),
        sa.Column("speaker_end", sa.Integer(), nullable=True),
        sa.Column("speaker_entity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["speaker_entity_id"], ["entity.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_speaker"), ["speaker"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quote_speaker_entity_id"), ["speaker_entity_id"], unique=False
        )

    # PostgreSQL's search columns come in the postgres_search revision
    if op.get_bind().dialect.name == "sqlite":
        for table, columns in _FTS.items():
            _create_fts(table, columns)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _FTS:
            _drop_fts(table)
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_speaker_entity_id"))
        batch_op.drop_index(batch_op.f("ix_quote_speaker"))
        batch_op.drop_index(batch_op.f("ix_quote_article_id"))

    op.drop_table("quote")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_entity_article")
        batch_op.drop_index(batch_op.f("ix_mention_article_id"))

    op.drop_table("mention")
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_type"))
        batch_op.drop_index(batch_op.f("ix_entity_name"))
        batch_op.drop_index(batch_op.f("ix_entity_mention_count"))

    op.drop_table("entity")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_source_id"))
        batch_op.drop_index(batch_op.f("ix_article_source"))
        batch_op.drop_index(batch_op.f("ix_article_published"))
        batch_op.drop_index(batch_op.f("ix_article_author"))

    op.drop_table("article")
