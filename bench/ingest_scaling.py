"""Ingestion across processes into one PostgreSQL (issue 21): 1, 2, 3 ``corpus ingest``
processes, each with one annotating worker and its own share of the same articles, into a new
database each round; articles/s for each round, and the CPU the PostgreSQL server spent per
article, which bounds how many ingesting machines one server takes.

Usage: python -m bench.ingest_scaling --pg postgresql://user@host:port/maintenance-db
       [--corpus FILE] [--articles 240] [--processes 1,2,3]"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.postgres import _conninfo, database_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"


def server_cpu_s(url: str) -> float:
    """CPU seconds the server's processes have used so far (user + system, from /proc: the
    server runs on this machine; an exited backend's are counted in its postmaster's)."""
    with psycopg.connect(_conninfo(url), autocommit=True) as connection:
        data = connection.execute(b"SHOW data_directory").fetchone()
    assert data is not None
    pid = int(Path(str(data[0]), "postmaster.pid").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for task in Path("/proc").iterdir():
        if not task.name.isdigit():
            continue
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:  # a backend or worker, running
            total += int(fields[11]) + int(fields[12])
        elif int(task.name) == pid:  # the postmaster, and the backends that have exited
            total += sum(int(value) for value in fields[11:15])
    return total / ticks


def one_round(pg: str, lines: list[str], processes: int, scratch: Path) -> dict[str, float]:
    name = f"bench_ingest_{processes}"
    with psycopg.connect(_conninfo(pg), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    url = database_url(pg, name).replace("postgresql://", "postgresql+psycopg://", 1)
    env = {**os.environ, "CORPUS_DATABASE_URL": url}
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    shares = []
    for n in range(processes):
        share = scratch / f"share-{processes}-{n}.jsonl"
        share.write_text("".join(lines[n::processes]), encoding="utf-8")
        shares.append(share)
    before = server_cpu_s(url)
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            [*cli, "ingest", "--workers", "1", str(share)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for share in shares
    ]
    assert all(process.wait() == 0 for process in running), "an ingest failed"
    wall = time.perf_counter() - started
    server_s = server_cpu_s(url) - before
    with psycopg.connect(_conninfo(url)) as connection:
        row = connection.execute(b"SELECT count(*) FROM article").fetchone()
    stored = int(row[0]) if row else 0
    return {
        "stored": stored,
        "wall": wall,
        "rate": stored / wall,
        "server_ms": server_s / stored * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a maintenance database URL")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=240)
    parser.add_argument("--processes", default="1,2,3")
    args = parser.parse_args()
    with args.corpus.open(encoding="utf-8") as corpus:
        lines = [line for line, _ in zip(corpus, range(args.articles), strict=False)]
    assert all(json.loads(line) for line in lines)
    print(f"{len(lines)} articles, {os.cpu_count()} cores", file=sys.stderr)
    print("| processes | articles | wall s | articles/s | × one | server CPU ms/article |")
    print("| --- | --- | --- | --- | --- | --- |")
    first = None
    with tempfile.TemporaryDirectory() as scratch:
        for processes in (int(n) for n in args.processes.split(",")):
            result = one_round(args.pg, lines, processes, Path(scratch))
            first = first or result["rate"]
            print(
                f"| {processes} | {result['stored']:.0f} | {result['wall']:.1f} | "
                f"{result['rate']:.2f} | {result['rate'] / first:.2f} | "
                f"{result['server_ms']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
