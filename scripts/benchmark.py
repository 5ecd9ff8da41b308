"""Benchmark: ingest a corpus into a fresh database, then time API requests over real HTTP.

Usage: python scripts/benchmark.py [--corpus ../shared/corpus/articles.jsonl] [--requests 50]
                                   [--parse-mib 1 512]
Prints a Markdown report; the numbers we keep are in docs/benchmarks.md.
"""

import argparse
import json
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.cli import run_migrations
from app.config import Settings
from app.db import create_db_engine
from app.ingest.pipeline import ingest

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "/api/v1/search?q=election",
    "/api/v1/search?q=%22prime%20minister%22",
    "/api/v1/search?q=economy%20growth&offset=40",
    "/api/v1/articles?source=Wikinews&limit=50",
    "/api/v1/entities?type=PERSON&limit=50",
    "/api/v1/quotes?q=government",
    "/api/v1/quotes?speaker_entity_id=1",
    "/api/v1/articles/100",
    "/api/v1/search?q=election%20-war&facet=source&facet=published_month&facet=entity",
    "/api/v1/search?q=title:(trade%20OR%20tariff)&sort=-published",
    "/api/v1/entities?q=tony%20bl",
    "/api/v1/entities/1",
]
EXPORTS = ["/api/v1/articles?format=ndjson", "/api/v1/quotes?format=csv"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_ingest(corpus: Path, url: str) -> None:
    run_migrations(url)
    engine = create_db_engine(url)
    started = time.perf_counter()
    report = ingest([corpus], engine=engine, model=Settings().SPACY_MODEL)
    seconds = time.perf_counter() - started
    engine.dispose()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        words = db.execute("SELECT sum(word_count) FROM article").fetchone()[0] or 0
        quotes = db.execute("SELECT count(*) FROM quote").fetchone()[0]
        entities = db.execute("SELECT count(*) FROM entity").fetchone()[0]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mib = Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20
    print("## Ingestion\n")
    print(f"- {report.summary()}")
    rate = report.seen / seconds
    print(f"- {words} words: {words / seconds:,.0f} words/s; {rate:.1f} articles/s")
    print(f"- {quotes} quotes, {entities} entities; database {size_mib:.1f} MiB")
    print(f"- peak RSS of the ingesting process: {peak_mib:.0f} MiB\n")


# parse and clean every record of a file in a process of its own; print its peak RSS in KiB
_PARSE = """
import resource, sys
from pathlib import Path
from app.ingest.pipeline import iter_records
seen = sum(1 for _ in iter_records([Path(sys.argv[1])]))
print(seen, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_parse_memory(sizes_mib: list[int]) -> None:
    """Peak memory of reading JSON Lines files of growing size: streamed, it should stay flat."""
    body = "The harbour board met on Monday and approved the plan for the new wall. " * 40
    print("## Reading big files (parse and clean only, no NLP)\n")
    print("| file | records | seconds | peak RSS |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes_mib:
            path = Path(folder) / f"{size}mib.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                n = 0
                while handle.tell() < size * 2**20:
                    handle.write(json.dumps({"id": f"r{n}", "title": f"T{n}", "body": body}))
                    handle.write("\n")
                    n += 1
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _PARSE, str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            seconds = time.perf_counter() - started
            records, peak_kib = done.stdout.split()
            print(f"| {size} MiB | {records} | {seconds:.1f} | {int(peak_kib) / 1024:.0f} MiB |")
    print()


def bench_api(url: str, requests: int) -> None:
    port = free_port()
    env = {**os.environ, "CORPUS_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            print("## API latency (one client, sequential, real HTTP)\n")
            print("| request | p50 ms | p95 ms |")
            print("| --- | --- | --- |")
            for query in QUERIES:
                client.get(query)  # warm-up
                timings = []
                for _ in range(requests):
                    started = time.perf_counter()
                    response = client.get(query)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (query, response.text)
                timings.sort()
                p95 = timings[int(len(timings) * 0.95) - 1]
                print(f"| `{query}` | {statistics.median(timings):.1f} | {p95:.1f} |")
            print("\n## Full exports (streamed)\n")
            print("| request | seconds | MiB |")
            print("| --- | --- | --- |")
            for query in EXPORTS:
                started = time.perf_counter()
                size = len(client.get(query).content)
                seconds = time.perf_counter() - started
                print(f"| `{query}` | {seconds:.2f} | {size / 2**20:.1f} |")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "articles.jsonl"
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--parse-mib", type=int, nargs="*", default=[1, 512])
    args = parser.parse_args()
    bench_parse_memory(args.parse_mib)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        bench_ingest(args.corpus, url)
        bench_api(url, args.requests)


if __name__ == "__main__":
    main()
