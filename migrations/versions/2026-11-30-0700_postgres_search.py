"""PostgreSQL search: accent-folding text search configurations, weighted tsvector columns with
GIN indexes, folded-speaker indexes and the change counter's triggers. Nothing on SQLite, whose
equivalents (FTS5 tables, lower() indexes, triggers) come in the earlier revisions.

Revision ID: 7e4a2b9c1d05
Revises: 3c9d1e7a5b42
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7e4a2b9c1d05"
down_revision: str | None = "3c9d1e7a5b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL's parser reads <…> as an HTML tag and skips what a <script> holds; news text is
# not HTML, so angle brackets are indexed as spaces (the same length: offsets still hold)
_PLAIN = "translate({}, '<>', '  ')"
_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
_BUMP_CHANGED_AT = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""

_CREATE = [
    # unaccent is a trusted extension (PostgreSQL 13+): a database owner may create it
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (its dictionary could change); an expression index needs an
    # IMMUTABLE function, so this wrapper names the dictionary explicitly
    "CREATE FUNCTION corpus_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "STRICT AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$",
    # English stemming without a stop-word list, like FTS5's porter tokenizer: "the" and
    # "who" stay searchable and phrases keep their word positions
    "CREATE TEXT SEARCH DICTIONARY corpus_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION corpus (COPY = english)",
    f"ALTER TEXT SEARCH CONFIGURATION corpus ALTER MAPPING FOR {_TOKENS} "
    "WITH unaccent, corpus_stem",
    # names are not stemmed: case and accents folded only
    "CREATE TEXT SEARCH CONFIGURATION corpus_names (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION corpus_names ALTER MAPPING FOR {_TOKENS} "
    "WITH unaccent, simple",
    # titles weigh A, bodies B: ranking counts a title match ten times a body match, and
    # title: / body: scopes are weight labels in the tsquery
    "ALTER TABLE article ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    f"setweight(to_tsvector('corpus', {_PLAIN.format('title')}), 'A') || "
    f"setweight(to_tsvector('corpus', {_PLAIN.format('body')}), 'B')) STORED",
    "CREATE INDEX ix_article_search ON article USING gin (search)",
    "ALTER TABLE quote ADD COLUMN search tsvector "
    f"GENERATED ALWAYS AS (to_tsvector('corpus', {_PLAIN.format('text')})) STORED",
    "CREATE INDEX ix_quote_search ON quote USING gin (search)",
    "ALTER TABLE entity ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('corpus_names', name || ' ' || aliases::text)) STORED",
    "CREATE INDEX ix_entity_search ON entity USING gin (search)",
    # `speaker=` folds case and accents on both sides; these carry the list's order too
    "CREATE INDEX ix_quote_speaker_fold ON quote "
    "(lower(corpus_unaccent(speaker)), article_id, start)",
    "CREATE INDEX ix_quote_speaker_text_fold ON quote "
    "(lower(corpus_unaccent(speaker_text)), article_id, start)",
    # newest first, as the search and list orders read it
    "CREATE INDEX ix_article_published_desc ON article (published DESC NULLS LAST, id DESC)",
    # the change counter behind ETag and Last-Modified, moved once per writing statement
    "CREATE FUNCTION corpus_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE corpus_version SET version = version + 1, changed_at = {_BUMP_CHANGED_AT}; "
    "RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION corpus_version_bump()"
        for table in ("article", "entity")
    ),
]

_DROP = [
    "DROP TRIGGER entity_version ON entity",
    "DROP TRIGGER article_version ON article",
    "DROP FUNCTION corpus_version_bump()",
    "DROP INDEX ix_article_published_desc",
    "DROP INDEX ix_quote_speaker_text_fold",
    "DROP INDEX ix_quote_speaker_fold",
    "ALTER TABLE entity DROP COLUMN search",
    "ALTER TABLE quote DROP COLUMN search",
    "ALTER TABLE article DROP COLUMN search",
    "DROP TEXT SEARCH CONFIGURATION corpus_names",
    "DROP TEXT SEARCH CONFIGURATION corpus",
    "DROP TEXT SEARCH DICTIONARY corpus_stem",
    "DROP FUNCTION corpus_unaccent(text)",
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
