"""What Alembic's autogenerate must not compare: the tables, columns and indexes that migrations
make by hand for one engine or the other."""

from typing import Any

# tables and columns that migrations make by hand (FTS5 tables and their shadow tables, the
# change counter, the row counts, PostgreSQL's generated tsvector columns and their inline copy
# for ranking, the log of changed articles the search index follows), so absent from the models
_HANDMADE_TABLES = (
    "article_fts",
    "quote_fts",
    "entity_fts",
    "corpus_version",
    "corpus_count",
    "article_vector",
    "article_change",
)
_HANDMADE_COLUMNS = ("search",)
# indexes one engine has and the other has not (ix_article_facets: SQLite's covering index of
# packed entity ids, too wide for a PostgreSQL btree row)
_ENGINE_INDEXES = (
    "ix_article_facets",
    "ix_article_search",
    "ix_article_vector_search",
    "ix_quote_search",
    "ix_entity_search",
    "ix_article_published_desc",
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: leave hand-made tables and columns out of autogenerate comparisons."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(_HANDMADE_TABLES)
    if type_ == "index":
        return name not in _ENGINE_INDEXES
    return not (type_ == "column" and name in _HANDMADE_COLUMNS)
