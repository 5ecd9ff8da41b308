"""Where the Alembic migrations are (the source tree's ``migrations/``, or ``app/migrations`` in
an installed package) and whether a database is at their head."""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

_APP = Path(__file__).resolve().parents[1]


def migrations_dir() -> Path:
    """The source tree's folder when running from it (``pip install -e .``, the image), else
    the copy ``setup.py`` installs inside the package (``pip install .``)."""
    source = _APP.parent / "migrations"
    return source if (source / "env.py").is_file() else _APP / "migrations"


def alembic_config(database_url: str) -> Config:
    """The configuration ``alembic.ini`` holds for developers, without needing that file."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url)
    return config


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions the code expects, read from the migration scripts once per process."""
    script = ScriptDirectory(str(migrations_dir()))
    return frozenset(script.get_heads())


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is at (empty before the first migration)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
