"""Fixtures: a migrated template database copied per test, the app behind an httpx TestClient."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cli import run_migrations
from app.config import Settings
from app.db import create_db_engine
from app.ingest.pipeline import ingest
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
MODEL = Settings().SPACY_MODEL


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


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
def db_url(migrated_template: Path, tmp_path: Path) -> str:
    """A fresh, empty, migrated database file for this test."""
    return _copy(migrated_template, tmp_path)


@pytest.fixture
def seeded_db_url(seeded_template: Path, tmp_path: Path) -> str:
    """A fresh database file for this test holding the ingested seed article."""
    return _copy(seeded_template, tmp_path)


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
