"""Alembic environment: the URL comes from settings unless the caller set one; one history for
both engines (revisions branch on the dialect where they differ); hand-made search tables and
columns are left out of autogenerate."""

from alembic import context
from sqlmodel import SQLModel

import app.db.jobs  # noqa: F401  (each registers its tables on SQLModel.metadata)
import app.db.models  # noqa: F401
import app.db.quotations  # noqa: F401
import app.db.stories  # noqa: F401
from app.config import get_settings
from app.engines.connect import create_db_engine
from app.engines.schema import include_object

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().DATABASE_URL
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    # a SQLite migration may rebuild a table by DROP and re-create; with foreign keys on, the
    # DROP would cascade into mentions and quotes: https://sqlite.org/lang_altertable.html
    # (set when connecting: the pragma does nothing inside the transaction a statement opens)
    engine = create_db_engine(url, foreign_keys=False)
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
