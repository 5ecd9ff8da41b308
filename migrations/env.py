"""Alembic environment: the URL comes from settings unless the caller set one; FTS tables are
managed by hand-written SQL, so autogenerate ignores them."""

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.config import get_settings
from app.db import create_db_engine

config = context.config
target_metadata = SQLModel.metadata

# FTS5 virtual tables and their shadow tables (article_fts_data, …) are not in the models
_FTS_PREFIXES = ("article_fts", "quote_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(_FTS_PREFIXES))


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().DATABASE_URL
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
