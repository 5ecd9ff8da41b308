"""The ``corpus`` command line: migrate, ingest with a summary and exit codes."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from tests.conftest import SEEDS


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CORPUS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_migrate_then_ingest_twice(runner: CliRunner) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    first = runner.invoke(app, ["ingest", str(SEEDS)])
    assert first.exit_code == 0, first.output
    assert "1 seen: 1 added, 0 updated, 0 unchanged, 0 duplicate, 0 failed" in first.output
    assert "articles/s" in first.output
    second = runner.invoke(app, ["ingest", str(SEEDS)])
    assert "1 unchanged" in second.output and second.exit_code == 0
    skipped = runner.invoke(app, ["ingest", "--if-empty", str(SEEDS)])
    assert "already holds articles" in skipped.output and skipped.exit_code == 0


def test_failed_records_set_the_exit_code(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["migrate"])
    feed = tmp_path / "in" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text(json.dumps({"id": "a", "body": "Fine text."}) + "\n[1, 2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(feed.parent)])
    assert result.exit_code == 1
    assert f"failed: {feed}:2: invalid JSON" in result.output
    assert "1 added" in result.output and "1 failed" in result.output
    strict = runner.invoke(app, ["ingest", "--strict", str(feed)])
    assert strict.exit_code == 1 and "--strict: stopped" in strict.output


def test_missing_path_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ingest", "no/such/dir"])
    assert result.exit_code == 2 and "no such file or folder: no/such/dir" in result.output
