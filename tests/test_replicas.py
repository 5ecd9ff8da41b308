"""Stateless replicas (issue 8): two `corpus serve` processes on one PostgreSQL database answer
every request while `corpus ingest` writes into it, and once it ends they give the same answers
(bodies and ETags, past their response caches), with every input article stored once."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import spacy

from tests.conftest import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = [sys.executable, "-m", "app.cli"]
PEOPLE = ["Marta Olsen", "Tomas Brandt", "Ines Carvalho", "Kofi Mensah", "Lena Vogel"]
ORGS = ["Harbour Authority", "Northfield Council", "Baltic Shipping Union"]
PLACES = ["Kestrel Bay", "Lindholm", "Port Avery", "Saltmarsh"]
ARTICLES = 120
# records published again under another id (a mirror): the same article, stored once
MIRRORED = range(0, ARTICLES, 12)
# both replicas sit behind one name, as behind a load balancer: `next` and Link are absolute
HOST = "corpus.example"
PAUSE_S = 0.01  # between one caller's requests
# what the clients ask while the ingest runs, and what both replicas must agree on after it
PATHS = [
    "/api/v1/stats",
    "/api/v1/search?q=harbour",
    "/api/v1/search?q=%22harbour%20wall%22&facet=source&facet=entity",
    "/api/v1/search?q=Olsen&sort=-published&limit=5",
    "/api/v1/articles?limit=10",
    "/api/v1/articles?sort=-published&limit=10&offset=20",
    "/api/v1/quotes?limit=10",
    "/api/v1/quotes?speaker=Tomas%20Brandt",
    "/api/v1/entities",
    "/api/v1/entities?q=harbour",
]
# an article's own pages: not found until the ingest has stored it, then the same on both
DETAILS = ["/api/v1/articles/60", "/api/v1/articles/60/entities", "/api/v1/articles/60/quotes"]


def code(n: int) -> str:
    """A made-up word found in article ``n`` alone (letters only, ending where no stemmer
    trims anything)."""
    letters = "".join("bcdfghjklmnp"[int(digit)] for digit in f"{n:03d}")
    return f"zq{letters}x"


def article(n: int) -> dict[str, str]:
    person, org, place = PEOPLE[n % 5], ORGS[n % 3], PLACES[n % 4]
    body = (
        f"{person} of the {org} visited {place} to inspect the harbour wall ({code(n)}). "
        f'"We will finish the repairs before the winter storms," said {person}.'
    )
    return {
        "id": f"story-{n:03d}",
        "title": f"Harbour wall report {n}",
        "body": body,
        "published": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "source": ("Gazette", "Courier")[n % 2],
    }


def expected_article_counts() -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for n in range(ARTICLES):
        counts[(PEOPLE[n % 5], "PERSON")] += 1
        counts[(ORGS[n % 3], "ORG")] += 1
        counts[(PLACES[n % 4], "GPE")] += 1
    return dict(counts)


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A blank English pipeline whose entity ruler knows the fixture's names: fast to load and
    exact, so the expected entities are known."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [{"label": "PERSON", "pattern": name} for name in PEOPLE]
        + [{"label": "ORG", "pattern": name} for name in ORGS]
        + [{"label": "GPE", "pattern": name} for name in PLACES]
    )
    path = tmp_path_factory.mktemp("models") / "ruler_en"
    nlp.to_disk(path)
    return str(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _child(command: list[str], env: dict[str, str], log: IO[bytes]) -> Iterator[Any]:
    """A child process in a session of its own, killed with whatever it started on the way
    out, whether the test passed or not."""
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_healthy(url: str, process: Any, log: Path, deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server at {url} exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server at {url} did not answer /health within {deadline_s} s")


class Callers:
    """Threads that call both replicas, path after path, until told to stop; they keep every
    answer that was not a 2xx and every request that got no answer."""

    def __init__(self, urls: list[str], threads_per_url: int = 2) -> None:
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.calls = 0
        self.counts: set[int] = set()  # article counts /api/v1/stats reported meanwhile
        self.threads = [
            threading.Thread(target=self._run, args=(url, offset), daemon=True)
            for url in urls
            for offset in range(threads_per_url)
        ]

    def _run(self, url: str, offset: int) -> None:
        n = offset
        with httpx.Client(base_url=url, headers={"Host": HOST}, timeout=20) as client:
            # paced: flat out, four callers took the cores from the ingest (twice as long)
            while not self.stop.wait(PAUSE_S):
                path = (PATHS + DETAILS)[n % (len(PATHS) + len(DETAILS))]
                n += 1
                try:
                    response = client.get(path)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{url}{path}: {type(exc).__name__}: {exc}")
                    continue
                self.calls += 1
                if not (response.is_success or response.status_code == 404 and path in DETAILS):
                    self.failures.append(f"{url}{path}: {response.status_code} {response.text}")
                elif path == "/api/v1/stats":
                    self.counts.add(response.json()["articles"])

    def __enter__(self) -> "Callers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _get(client: httpx.Client, path: str, **headers: str) -> httpx.Response:
    response = client.get(path, headers=headers)
    assert response.status_code in (200, 304), (path, response.status_code, response.text)
    return response


def _all_pages(clients: list[httpx.Client], path: str) -> list[dict[str, Any]]:
    """Every item of a list, following `next` from one replica to the other, as a client
    behind a load balancer would."""
    items: list[dict[str, Any]] = []
    url: str | None = path
    while url is not None:
        page = _get(clients[len(items) // 10 % 2], url).json()
        items += page["items"]
        # absolute, under the name both replicas share
        url = httpx.URL(page["next"]).raw_path.decode() if page["next"] else None
    return items


@pytest.fixture
def database(postgres: PostgresServer, pg_migrated_template: str) -> Iterator[str]:
    name = postgres.create("replicas", template=pg_migrated_template)
    yield postgres.url_of(name)
    postgres.drop(name)  # after the processes below are gone (WITH (FORCE) otherwise)


@dataclass
class Replicas:
    env: dict[str, str]  # what the replicas run with, for an ingest into their database
    urls: list[str]
    processes: list[Any]
    clients: list[httpx.Client]


@pytest.fixture
def replicas(database: str, ruler_model: str, tmp_path: Path) -> Iterator[Replicas]:
    """Two `corpus serve` processes, one worker each, on the same database and settings."""
    env = {
        **os.environ,
        "CORPUS_DATABASE_URL": database,
        "CORPUS_SPACY_MODEL": ruler_model,
        "CORPUS_THREADS": "4",
        # on, as in production: each replica keeps answers until the change counter moves
        "CORPUS_RESPONSE_CACHE_MB": "32",
    }
    urls = [f"http://127.0.0.1:{_free_port()}" for _ in range(2)]
    with ExitStack() as stack:
        processes = []
        for n, url in enumerate(urls):
            log = tmp_path / f"replica-{n}.log"
            command = [*CORPUS, "serve", "--workers", "1", "--port", url.rsplit(":", 1)[1]]
            processes.append(
                stack.enter_context(_child(command, env, stack.enter_context(log.open("wb"))))
            )
        for n, (url, process) in enumerate(zip(urls, processes, strict=True)):
            _wait_healthy(url, process, tmp_path / f"replica-{n}.log")
        clients = [
            stack.enter_context(httpx.Client(base_url=url, headers={"Host": HOST}, timeout=20))
            for url in urls
        ]
        yield Replicas(env, urls, processes, clients)


def test_two_replicas_serve_through_an_ingest_and_agree(replicas: Replicas, tmp_path: Path) -> None:
    records = [article(n) for n in range(ARTICLES)]
    records += [article(n) | {"id": f"mirror-{n:03d}"} for n in MIRRORED]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    clients = replicas.clients
    # each replica caches its answers on the empty database, and hands out validators
    before = {path: [_get(c, path).headers["etag"] for c in clients] for path in PATHS}

    log = tmp_path / "ingest.log"
    command = [*CORPUS, "ingest", "--batch-size", "4", "--workers", "1", str(feed)]
    started = time.monotonic()
    with Callers(replicas.urls) as callers, log.open("wb") as out:
        with _child(command, replicas.env, out) as ingest:
            assert ingest.wait(timeout=120) == 0, log.read_text(errors="replace")
    took = time.monotonic() - started

    assert all(process.poll() is None for process in replicas.processes), "a replica exited"
    assert not callers.failures, callers.failures[:10]
    assert callers.calls > 100, callers.calls
    # the callers saw the ingest under way, not only before and after it
    assert callers.counts - {0, ARTICLES}, (callers.counts, took)

    a, b = clients
    for path in PATHS + DETAILS:
        first, second = _get(a, path), _get(b, path)
        assert first.content == second.content, path
        for validator in ("etag", "last-modified"):
            assert first.headers[validator] == second.headers[validator], path
        # the change counter moved: the empty database's validators are stale on both
        for client in clients:
            for etag in before.get(path, []):
                stale = _get(client, path, **{"If-None-Match": etag})
                assert stale.status_code == 200 and stale.content == first.content, path
        # a validator from one replica is good on the other
        assert _get(b, path, **{"If-None-Match": first.headers["etag"]}).status_code == 304
        assert _get(a, path).content == first.content  # from a's cache, the same

    stats = _get(a, "/api/v1/stats").json()
    assert stats["articles"] == ARTICLES
    assert stats["quotes"] == ARTICLES  # one each, none twice
    listed = _all_pages(
        clients,
        "/api/v1/articles?sort=-published&limit=10&fields=source_id&include=quotes,entities",
    )
    stored = [item["source_id"] for item in listed]
    assert sorted(stored) == [f"story-{n:03d}" for n in range(ARTICLES)]
    # each with what was extracted from it: its quote and its person, organisation and place
    assert {(len(item["quotes"]), len(item["entities"])) for item in listed} == {(1, 3)}

    entities = _all_pages(clients, "/api/v1/entities?limit=10")
    keys = [(entity["name"], entity["type"]) for entity in entities]
    assert len(keys) == len(set(keys)), Counter(keys).most_common(3)
    counts = {(e["name"], e["type"]): e["article_count"] for e in entities}
    assert counts == expected_article_counts()

    for n in range(ARTICLES):  # every article found by its own word, on either replica
        hits = _get(clients[n % 2], f"/api/v1/search?q={code(n)}").json()
        assert [hit["source_id"] for hit in hits["items"]] == [f"story-{n:03d}"], n
