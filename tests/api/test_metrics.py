"""/metrics: Prometheus's text format with the names and labels operators build on, summed over
the worker processes of a real `corpus serve`, kept out of the OpenAPI document, and behind a
key when told."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import Message, Receive, Scope, Send

from app.web.admission import AdmissionMiddleware
from tests.api.test_serving import ROOT, _free_port
from tests.api.test_writes import AUTH, KEY, STORY
from tests.conftest import make_client

# every family with the labels of its samples (histograms: their _bucket's, le included)
FAMILIES = {
    "corpus_http_requests": {"route", "method", "status"},
    "corpus_http_request_duration_seconds": {"route", "method", "le"},
    "corpus_http_requests_in_flight": set(),
    "corpus_admission_queue_length": set(),
    "corpus_admission_refusals": {"reason"},
    "corpus_admission_drops": set(),
    "corpus_response_cache_hits": set(),
    "corpus_response_cache_misses": set(),
    "corpus_search_duration_seconds": {"engine", "le"},
    "corpus_ingest_articles": {"outcome"},
    "corpus_ingest_jobs": {"state"},
    "corpus_ingest_jobs_running": set(),
    # with read replicas; their gauges (corpus_replica_usable, corpus_replica_lag_seconds) have
    # samples only then: tests/test_read_replicas.py
    "corpus_database_reads": {"database"},
}


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(families: dict[str, Any], name: str, **labels: str) -> float:
    """The sample of ``name`` whose labels include ``labels`` (summed over the rest, e.g. the
    processes' pids in a gauge's samples)."""
    suffixes = {"counter": "_total", "histogram": "_count"}
    family = families[name]
    wanted = name + suffixes.get(family.type, "")
    return sum(
        float(sample.value)
        for sample in family.samples
        if sample.name == wanted and labels.items() <= sample.labels.items()
    )


def test_names_and_labels(seeded_client: TestClient) -> None:
    for _ in range(2):
        assert seeded_client.get("/api/v1/search?q=huawei").status_code == 200
    assert seeded_client.get("/api/v1/articles/999999").status_code == 404
    assert seeded_client.get("/no/such/route").status_code == 404
    response = seeded_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = _families(response.text)
    for name, labels in FAMILIES.items():
        assert name in families, name
        sample_labels = {
            key
            for sample in families[name].samples
            if not sample.name.endswith(("_sum", "_created"))
            for key in sample.labels
        }
        assert sample_labels == labels, name
    # route templates, not paths: ids and unknown paths do not make labels of their own
    routes = {s.labels["route"] for s in families["corpus_http_requests"].samples}
    assert {"/api/v1/search", "/api/v1/articles/{article_id}", "unmatched"} <= routes
    assert not any("999999" in route or "/no/such" in route for route in routes)
    assert _value(families, "corpus_search_duration_seconds", engine="sqlite") >= 1 or (
        _value(families, "corpus_search_duration_seconds", engine="postgresql") >= 1
    )
    assert _value(families, "corpus_response_cache_hits") >= 1  # the second search


def test_off_the_api_and_behind_a_key_when_told(seeded_db_url: str) -> None:
    with make_client(seeded_db_url, API_KEYS=[KEY], METRICS_REQUIRES_KEY=True) as client:
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/metrics", headers=AUTH).status_code == 200
        assert client.get("/health").status_code == 200  # probes stay open


async def _spread(url: str, path: str, count: int) -> list[str]:
    """``count`` GETs at once, each on a connection of its own; their request ids."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one() -> str:
            response = await client.get(path, headers={"Connection": "close"})
            assert response.status_code == 200, response.text
            return response.headers["x-request-id"]

        return await asyncio.gather(*(one() for _ in range(count)))


def test_summed_over_the_workers(seeded_db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CORPUS_DATABASE_URL": seeded_db_url, "CORPUS_API_KEYS": json.dumps([KEY])}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # the folder of a server killed before it could remove it: its process is gone
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    killed = tmp_path / f"corpus-metrics-{finished.pid}"
    killed.mkdir()
    (killed / "counter_1.db").write_bytes(b"")
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # both workers ready, models loaded: at most a minute
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        # request ids start with a prefix of their process: go on until both workers answered
        by_worker: dict[str, int] = defaultdict(int)
        sent = 0
        while len(by_worker) < 2 and sent < 2000:  # bounded
            for request_id in asyncio.run(_spread(url, "/api/v1/articles?limit=1", 40)):
                by_worker[request_id[:16]] += 1
            sent += 40
        assert len(by_worker) == 2, (sent, dict(by_worker))
        assert not killed.exists()
        created = httpx.post(f"{url}/api/v1/articles", json=STORY, headers=AUTH)
        assert created.status_code == 201
        for _ in range(3):  # whichever worker answers the scrape, it sums both
            families = _families(httpx.get(f"{url}/metrics").text)
            route = {"route": "/api/v1/articles", "method": "GET", "status": "200"}
            assert _value(families, "corpus_http_requests", **route) == sent
            latency = {"route": "/api/v1/articles", "method": "GET"}
            assert _value(families, "corpus_http_request_duration_seconds", **latency) == sent
            assert _value(families, "corpus_ingest_articles", outcome="added") == 1
            assert _value(families, "corpus_http_requests_in_flight") == 1  # the scrape
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not list(tmp_path.glob("corpus-metrics-*"))


@pytest.fixture(autouse=True)
def _no_metrics_folder_left(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`corpus serve` makes its metrics folder in the temporary folder: this test's."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))


def test_admission_counts_its_queue_and_refusals() -> None:
    async def scenario() -> tuple[float | None, list[Message]]:
        release = asyncio.Event()

        async def slow(scope: Scope, receive: Receive, send: Send) -> None:
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        gate = AdmissionMiddleware(slow, slots=1, max_wait_s=0.3)

        async def call() -> list[Message]:
            messages: list[Message] = []

            async def receive() -> Message:
                await asyncio.sleep(10)  # the client stays; cancelled once answered
                return {"type": "http.disconnect"}

            async def send(message: Message) -> None:
                messages.append(message)

            await gate(
                {"type": "http", "method": "GET", "path": "/x", "headers": []}, receive, send
            )
            return messages

        first = asyncio.create_task(call())
        await asyncio.sleep(0.05)
        second = asyncio.create_task(call())
        await asyncio.sleep(0.1)
        queued = REGISTRY.get_sample_value("corpus_admission_queue_length")
        refused = await second
        release.set()
        await first
        return queued, refused

    timeouts = {"reason": "timeout"}
    before = REGISTRY.get_sample_value("corpus_admission_refusals_total", timeouts) or 0
    queued, refused = asyncio.run(scenario())
    assert refused[0]["status"] == 503 and queued == 1
    assert REGISTRY.get_sample_value("corpus_admission_refusals_total", timeouts) == before + 1
    assert REGISTRY.get_sample_value("corpus_admission_queue_length") == 0
