"""PostgreSQL: each article's tsvector again in a narrow table of its own, ``article_vector``,
stored inline in its row (rows up to 8,160 bytes stay whole; past that, the vector goes to TOAST
uncompressed), with its own GIN index, for ranking. ``ts_rank_cd`` must read every match's tsvector,
and ``article.search`` lives out of line in TOAST (an index lookup and the chunks per row): at
100,000 articles that reading was most of a phrase's or a prefix's ranking (docs/benchmarks.md).
Inline on ``article`` the vectors would widen every row to ~4 kB and slow every statement that
does not need them (facets, counts, date order), so those keep reading ``article``.

A trigger keeps the copy in step with ``article.search`` (inserts, updates that change the
text; deletes cascade). Existing rows are copied by the upgrade, in one statement. Nothing on
SQLite, where FTS5's index holds positions and bm25 reads only the index.

Revision ID: 2d6b8e0f4a13
Revises: 4f1c2a9e8b37
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2d6b8e0f4a13"
down_revision: str | None = "4f1c2a9e8b37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CREATE = [
    # toast_tuple_target: a vector leaves its row for TOAST only past 8,160 bytes (the default
    # is ~2 kB, where most articles' vectors, ~3 kB, would go out of line again)
    "CREATE TABLE article_vector (article_id integer PRIMARY KEY "
    "REFERENCES article (id) ON DELETE CASCADE, search tsvector NOT NULL) "
    "WITH (toast_tuple_target = 8160)",
    # EXTERNAL: never compressed. tsvectors hardly compress (lz4: 18.8 -> 18.1 kB on average
    # for the vectors too long for a row), and decompressing them cost more than it saved
    "ALTER TABLE article_vector ALTER COLUMN search SET STORAGE EXTERNAL",
    "CREATE FUNCTION corpus_article_vector() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO article_vector (article_id, search) VALUES (NEW.id, NEW.search) "
    "ON CONFLICT (article_id) DO UPDATE SET search = EXCLUDED.search; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER article_vector_insert AFTER INSERT ON article "
    "FOR EACH ROW EXECUTE FUNCTION corpus_article_vector()",
    # only when the text changed: metadata updates leave the copy alone
    "CREATE TRIGGER article_vector_update AFTER UPDATE ON article FOR EACH ROW "
    "WHEN (NEW.search IS DISTINCT FROM OLD.search) EXECUTE FUNCTION corpus_article_vector()",
    "INSERT INTO article_vector (article_id, search) SELECT id, search FROM article ORDER BY id",
    # built after the copy: one sorted build instead of 100,000 insertions
    "CREATE INDEX ix_article_vector_search ON article_vector USING gin (search)",
    "ANALYZE article_vector",
]

_DROP = [
    "DROP TRIGGER article_vector_update ON article",
    "DROP TRIGGER article_vector_insert ON article",
    "DROP FUNCTION corpus_article_vector()",
    "DROP TABLE article_vector",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _CREATE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DROP:
        op.execute(statement)
