"""CORPUS_LOG_FORMAT=json: every line `corpus serve` writes is one JSON object, access lines
with their request's fields, application lines with the id of the request they were made in."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.test_serving import ROOT, _free_port
from tests.conftest import sqlite_url

ACCESS_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "route", "path"}
ACCESS_FIELDS |= {"status", "duration_ms", "client"}


def test_serve_writes_json_lines(migrated_template: Path, tmp_path: Path) -> None:
    shutil.copy(migrated_template, tmp_path / "corpus.db")
    port = _free_port()
    env = {
        **os.environ,
        "CORPUS_DATABASE_URL": sqlite_url(tmp_path / "corpus.db"),
        "CORPUS_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: at most half a minute
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(f"{url}/api/v1/articles/7", headers={"X-Request-ID": "find-me"}).is_error
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # all of them JSON
    access = [line for line in lines if line["logger"] == "app.access"]
    [mine] = [line for line in access if line["request_id"] == "find-me"]
    assert set(mine) == ACCESS_FIELDS
    assert (mine["method"], mine["route"], mine["path"], mine["status"]) == (
        "GET",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/7",
        404,
    )
    assert mine["client"] == "127.0.0.1" and mine["duration_ms"] >= 0
    assert mine["level"] == "INFO" and mine["time"].endswith("+00:00")
    started = [line["message"] for line in lines if line["logger"] == "uvicorn.error"]
    assert sum(message.startswith("Started server process") for message in started) == 2


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The JSON handler replaces the root logger's; put them back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def test_application_lines_carry_the_request_id(
    migrated_template: Path,
    tmp_path: Path,
    root_handlers: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copy(migrated_template, tmp_path / "corpus.db")
    app = create_app(Settings(DATABASE_URL=sqlite_url(tmp_path / "corpus.db"), LOG_FORMAT="json"))

    def fail() -> Any:
        raise RuntimeError("a bug")

    app.add_api_route("/fail", fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/fail", headers={"X-Request-ID": "bug-1"}).status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    [error] = [line for line in lines if line["logger"] == "app.web.requests"]
    assert error["level"] == "ERROR" and error["request_id"] == "bug-1"
    assert error["message"] == "unhandled error on GET /fail"
    assert "RuntimeError: a bug" in error["exception"]
