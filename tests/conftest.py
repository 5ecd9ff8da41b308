"""Fixtures: a migrated template database copied per test, the app behind an httpx TestClient.

Every test that takes a database runs on both engines: SQLite (a copied file) and PostgreSQL
(a database created from a template), the latter when ``CORPUS_TEST_POSTGRES_URL`` names a
server (e.g. ``postgresql://postgres@127.0.0.1:54329/postgres``) and skipped otherwise.
Tests of SQLite-only behaviour carry ``@pytest.mark.sqlite_only``; tests outside the API
suite (ingestion, NLP, benchmarks) run on SQLite only.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.cli import run_migrations
from app.config import Settings
from app.engines.connect import create_db_engine
from app.ingest.run import ingest
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
MODEL = Settings().SPACY_MODEL


POSTGRES_URL = os.environ.get("CORPUS_TEST_POSTGRES_URL", "")
ENGINES = ("sqlite", "postgresql")
# the API suite: these run on both engines; anything else on SQLite only
_BOTH_ENGINES = (
    "tests/api/",
    "tests/test_search.py",
    "tests/test_errors.py",
    "tests/test_seed.py",
    "tests/test_migrations.py",
    "tests/ingest/test_reannotate.py",
    "tests/corpus/test_people.py",
    "tests/test_reindex.py",
    "tests/test_ranker.py",
)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not str(item.path.relative_to(ROOT)).startswith(_BOTH_ENGINES):
            item.add_marker(pytest.mark.sqlite_only)


class PostgresServer:
    """Creates and drops databases on the test server, named per test session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"corpus_test_{os.getpid()}_"

    def _admin(self, sql: str) -> None:
        import psycopg

        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(sql.encode())

    def url_of(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def create(self, suffix: str, template: str | None = None) -> str:
        """A new database (copied from ``template``, a name from ``create``); its URL."""
        name = self.prefix + suffix
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL test server; the tests that need it skip when there is none."""
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set CORPUS_TEST_POSTGRES_URL to run this on it")
    server = PostgresServer(POSTGRES_URL)
    try:
        server._admin("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure to reach it means: skip)
        pytest.skip(f"PostgreSQL at CORPUS_TEST_POSTGRES_URL unreachable: {exc}")
    yield server


@pytest.fixture(scope="session")
def pg_migrated_template(postgres: PostgresServer) -> Iterator[str]:
    name = postgres.create("migrated")
    run_migrations(postgres.url_of(name))
    yield name
    postgres.drop(name)


@pytest.fixture(scope="session")
def pg_seeded_template(postgres: PostgresServer, pg_migrated_template: str) -> Iterator[str]:
    name = postgres.create("seeded", template=pg_migrated_template)
    engine = create_db_engine(postgres.url_of(name))
    report = ingest([SEEDS], engine=engine, model=MODEL, workers=1)
    engine.dispose()
    assert report.added == len(list(SEEDS.glob("*.txt")))
    yield name
    postgres.drop(name)


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """The engine this test runs on."""
    if request.param == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-specific")
    return str(request.param)


def _database(
    request: pytest.FixtureRequest, engine_kind: str, template: str, tmp_path: Path
) -> Iterator[str]:
    if engine_kind == "sqlite":
        yield _copy(request.getfixturevalue(template), tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.create(uuid.uuid4().hex[:12], template=request.getfixturevalue(f"pg_{template}"))
    yield server.url_of(name)
    server.drop(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    run_migrations(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    shutil.copy(migrated_template, path)
    engine = create_db_engine(sqlite_url(path))
    report = ingest([SEEDS], engine=engine, model=MODEL)
    engine.dispose()
    assert report.added == len(list(SEEDS.glob("*.txt")))
    return path


def _copy(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "corpus.db"
    shutil.copy(template, path)
    return sqlite_url(path)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, engine_kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty, migrated database for this test."""
    yield from _database(request, engine_kind, "migrated_template", tmp_path)


@pytest.fixture
def seeded_db_url(
    request: pytest.FixtureRequest, engine_kind: str, tmp_path: Path
) -> Iterator[str]:
    """A fresh database for this test holding the ingested seed article."""
    yield from _database(request, engine_kind, "seeded_template", tmp_path)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A writable session on this test's database, for factories."""
    engine = create_db_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def make_client(url: str, **overrides: object) -> TestClient:
    return TestClient(create_app(Settings(DATABASE_URL=url, **overrides)))  # type: ignore[arg-type]


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with make_client(db_url) as client:
        yield client


@pytest.fixture
def seeded_client(seeded_db_url: str) -> Iterator[TestClient]:
    with make_client(seeded_db_url) as client:
        yield client
