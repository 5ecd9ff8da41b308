"""A log of changed articles, ``article_change``, for the search index kept beside the
database (``app.search.ranker``, issue 21): every insert, text update and delete of an article
adds its id, in the same transaction, so an index that was stopped, killed or lost catches up
from the log (or rebuilds from the tables) and never misses a change. No rows for existing
articles: an index that starts from nothing reads the articles themselves.

Revision ID: a7d4c2e9f1b3
Revises: e8c3a6f1d4b7
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7d4c2e9f1b3"
down_revision: str | None = "e8c3a6f1d4b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE = [
    "CREATE TABLE article_change (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "article_id INTEGER NOT NULL)",
    "CREATE TRIGGER article_change_i AFTER INSERT ON article BEGIN "
    "INSERT INTO article_change (article_id) VALUES (new.id); END",
    "CREATE TRIGGER article_change_u AFTER UPDATE OF title, body ON article BEGIN "
    "INSERT INTO article_change (article_id) VALUES (new.id); END",
    "CREATE TRIGGER article_change_d AFTER DELETE ON article BEGIN "
    "INSERT INTO article_change (article_id) VALUES (old.id); END",
]
# one INSERT per statement from its transition table; an update counts only when the text
# changed (transition tables cannot be combined with UPDATE OF a column list)
_POSTGRES = [
    "CREATE TABLE article_change (seq bigserial PRIMARY KEY, article_id integer NOT NULL)",
    "CREATE FUNCTION corpus_article_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' THEN INSERT INTO article_change (article_id) SELECT n.id "
    "FROM new_rows n JOIN old_rows o ON o.id = n.id "
    "WHERE n.title IS DISTINCT FROM o.title OR n.body IS DISTINCT FROM o.body ORDER BY n.id; "
    "ELSIF TG_OP = 'INSERT' THEN INSERT INTO article_change (article_id) "
    "SELECT id FROM new_rows ORDER BY id; "
    "ELSE INSERT INTO article_change (article_id) SELECT id FROM old_rows ORDER BY id; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER article_change_i AFTER INSERT ON article REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION corpus_article_change()",
    "CREATE TRIGGER article_change_u AFTER UPDATE ON article "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION corpus_article_change()",
    "CREATE TRIGGER article_change_d AFTER DELETE ON article REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION corpus_article_change()",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in ("i", "u", "d"):
        op.execute(f"DROP TRIGGER article_change_{event}" + (" ON article" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION corpus_article_change()")
    op.execute("DROP TABLE article_change")
