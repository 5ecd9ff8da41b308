"""NDJSON batch jobs: the 202 comes before any page is read, a page that fails is the job's
error, and a job whose server was killed shows as interrupted, then finishes when posted again."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.ingest.read import mapping
from app.ingest.read.pages import extract_page
from tests.api.test_serving import ROOT, _free_port
from tests.api.test_writes import AUTH, KEY, count
from tests.conftest import make_client

NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}
PAGE = (
    "<html><head><title>Harbour wall approved</title></head><body><nav>Home</nav><article>"
    "<h1>Harbour wall approved</h1><p>The council approved the harbour wall on Monday after "
    'twenty years of debate about floods in the old town.</p><p>"We have waited long enough,'
    '" said Ana Ruiz, who chairs the harbour committee.</p></article></body></html>'
)


def _wait(client: Any, location: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for _ in range(600):  # bounded polling: at most a minute
        status = client.get(location, headers=AUTH).json()
        if status["status"] in statuses:
            return status
        time.sleep(0.1)
    pytest.fail(f"the job never reached {statuses}: {status}")


def test_the_202_comes_before_any_page_is_read(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages in bodies are read by the job's thread, never by the request's."""
    readers: list[str] = []

    def spy(html: str, url: str | None) -> Any:
        readers.append(threading.current_thread().name)
        return extract_page(html, url)

    monkeypatch.setattr(mapping, "extract_page", spy)
    lines = [
        {"id": "page-1", "body": PAGE},
        {"id": "page-2", "body": "<html><body><nav>Home</nav></body></html>"},
        {"id": "text-1", "body": "The ferry moves to the north pier, the port said."},
    ]
    with make_client(db_url, API_KEYS=[KEY]) as client:
        content = "\n".join(json.dumps(line) for line in lines).encode()
        response = client.post("/api/v1/articles", content=content, headers=NDJSON)
        assert response.status_code == 202, response.text
        status = _wait(client, response.headers["location"], ("done", "failed"))
    assert len(readers) == 2 and all(name.startswith("ingest-job-") for name in readers)
    # the page without an article is the job's failure now, named by its line
    assert (status["status"], status["added"], status["failed"]) == ("done", 2, 1)
    assert status["errors"] == [
        "api:2: field 'body': the body is an HTML page with no article text"
    ]
    assert count(db_url) == 2


def _serve(db_url: str, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    env = {
        **os.environ,
        "CORPUS_DATABASE_URL": db_url,
        "CORPUS_API_KEYS": json.dumps([KEY]),
        "CORPUS_JOB_HEARTBEAT_S": "0.2",
        "CORPUS_INGEST_BATCH_SIZE": "4",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # ready: migrated and the model loaded (at most a minute)
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"the server never became ready: {log.read_text()}")


def test_a_job_killed_with_its_server_is_interrupted(db_url: str, tmp_path: Path) -> None:
    records = [
        {"id": f"s{n}", "body": f"Story {n}: the harbour wall will rise, Ana Ruiz said on Monday."}
        for n in range(400)
    ]
    content = "\n".join(json.dumps(record) for record in records).encode()
    url, process = _serve(db_url, tmp_path / "server.log")
    try:
        response = httpx.post(f"{url}/api/v1/articles", content=content, headers=NDJSON)
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        for _ in range(600):  # until a few batches are stored
            if httpx.get(url + location, headers=AUTH).json()["added"] >= 8:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with make_client(db_url, API_KEYS=[KEY], JOB_HEARTBEAT_S=0.2) as client:
        status = _wait(client, location, ("interrupted",))
        stored = count(db_url)
        # every article counted is stored; a batch stored after the last count is too
        assert 8 <= status["added"] <= stored < len(records)
        assert f"after {status['added']} of {len(records)} records" in status["error"]
        assert "post the same batch again" in status["error"]
        again = client.post("/api/v1/articles", content=content, headers=NDJSON)
        done = _wait(client, again.headers["location"], ("done", "failed"))
    assert done["status"] == "done" and done["failed"] == 0
    assert done["unchanged"] >= stored and done["added"] + done["unchanged"] == len(records)
    assert count(db_url) == len(records)


def test_a_live_job_is_not_interrupted(db_url: str) -> None:
    """The heartbeat keeps the row of a job busy with one long batch fresh."""
    records = [{"id": f"r{n}", "body": f"Report {n} on the harbour."} for n in range(80)]
    content = "\n".join(json.dumps(record) for record in records).encode()
    seen: set[str] = set()
    with make_client(db_url, API_KEYS=[KEY], JOB_HEARTBEAT_S=0.2, INGEST_BATCH_SIZE=80) as client:
        response = client.post("/api/v1/articles", content=content, headers=NDJSON)
        for _ in range(3000):  # bounded: at most a minute
            status = client.get(response.headers["location"], headers=AUTH).json()["status"]
            seen.add(status)
            if status == "done":
                break
            time.sleep(0.02)
    assert "done" in seen and "interrupted" not in seen
