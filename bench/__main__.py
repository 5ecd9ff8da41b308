"""`make bench`: our API beside Datasette, the in-process floor and the framework ceiling, on
the real corpus and its ~100,000-article copy (and, with ``--corpora 1m``, its
~1,000,000-article copy); prints Markdown and writes it under .bench/.
With ``--pg URL`` the same corpora are loaded into PostgreSQL too (``bench.postgres``'s loader)
and our API on PostgreSQL is one more server in the same tables.

Usage: python -m bench [--quick] [--db FILE] [--corpora real,100k,1m] [--only TEXT] [--soak S]
       [--pg postgresql://user@host:port/maintenance-db]"""

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench import corpora, postgres, report, servers
from bench.cases import EXPORTS, Case, build_cases
from bench.floor import floor_p50_ms
from bench.load import WrkResult, health_answers, run_wrk, time_to_first_byte
from bench.report import POSTGRES_LABEL, Results

ROOT = servers.ROOT
SCRATCH = ROOT / ".bench"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
# after a 256-connection run, /health must answer within this
HEALTH_AFTER_S = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="file to ingest")
    parser.add_argument("--db", type=Path, help="use this ingested database (copied, not written)")
    parser.add_argument("--ingest", action="store_true", help="ingest again even when cached")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the scaled copies (and the PostgreSQL ones)",
    )
    parser.add_argument(
        "--corpora",
        default="real,100k",
        help="any of real, 100k and 1m (the 1m copy: ~30 min to build per engine, then reused)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="cases whose name contains this (repeatable)"
    )
    parser.add_argument("--no-datasette", action="store_true", help="skip the peer")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="also measure our API on this PostgreSQL server (databases bench_real and "
        "bench_100k are made there, and reused while the corpus is the same)",
    )
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--d1", type=float, help="seconds at 1 connection [5]")
    parser.add_argument("--d32", type=float, help="seconds at 32 connections [8]")
    parser.add_argument("--d256", type=float, help="seconds at 256 connections [15]")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per case [2]")
    parser.add_argument("--soak", type=float, help="soak mode: 32 connections for this many s")
    parser.add_argument("--out", type=Path, help="Markdown file to write [.bench/results-*.md]")
    args = parser.parse_args(argv)
    if args.pg and args.soak:
        parser.error("--pg measures the tables' cases; the soak runs on SQLite only")
    quick = args.quick
    args.d1 = args.d1 or (2 if quick else 5)
    args.d32 = args.d32 or (3 if quick else 8)
    # a run must outlast the 5 s timeout for wrk to count requests over it
    args.d256 = args.d256 or (10 if quick else 15)
    args.warmup = args.warmup or (1 if quick else 2)
    args.export_runs = 1 if quick else 3
    return args


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def real_database(args: argparse.Namespace, results: Results) -> Path:
    """The ingested shared corpus, cached as .bench/cache/real.db."""
    cached = SCRATCH / "cache" / "real.db"
    if args.db is not None:
        # copied again only when the file or its WAL changed: a new copy rebuilds the 100k one
        stamp = cached.with_suffix(".source")
        source = " ".join(
            f"{path.resolve()} {path.stat().st_size} {path.stat().st_mtime_ns}"
            for path in (args.db, Path(f"{args.db}-wal"))
            if path.exists()
        )
        if not cached.exists() or not stamp.exists() or stamp.read_text() != source:
            corpora.copy_db(args.db, cached)
            stamp.write_text(source)
        results.notes.append(f"real corpus: a copy of `{args.db}`")
    elif args.ingest or not cached.exists():
        print(f"ingesting {args.corpus} (4–6 min)…", file=sys.stderr)
        results.ingest = corpora.ingest(args.corpus, cached)
        results.notes.append(f"real corpus: ingested from `{args.corpus}` in this run")
    else:
        results.notes.append("real corpus: cached `.bench/cache/real.db` (`--ingest` to redo)")
    return cached


@dataclass(frozen=True)
class Scaled:
    """A copy of the real corpus: its name in the tables, how many times it repeats the real
    one and how many days apart the copies are dated."""

    name: str
    copies: int
    spread_days: int = 0


SCALED = {
    "100k": Scaled("100k", corpora.COPIES),
    "1m": Scaled("1m", corpora.MILLION_COPIES, corpora.MILLION_SPREAD_DAYS),
}


def scaled_database(real: Path, scaled: Scaled, rebuild: bool) -> Path:
    cached = SCRATCH / "cache" / f"x{scaled.copies}.db"
    if rebuild or not cached.exists() or cached.stat().st_mtime < real.stat().st_mtime:
        print(f"building the {scaled.name} copy…", file=sys.stderr)
        corpora.scale(real, cached, scaled.copies, scaled.spread_days)
    return cached


def working_copies(source: Path, corpus: str, names: list[str]) -> dict[str, Path]:
    """One migrated copy of ``source`` per server (and one for the floor)."""
    folder = SCRATCH / "run" / corpus
    base = folder / "base.db"
    corpora.copy_db(source, base)
    corpora.migrate(base)
    copies = {}
    for name in names:
        target = folder / name / "corpus.db"
        corpora.copy_db(base, target)
        copies[name] = target
    for suffix in ("", "-wal", "-shm"):
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    return copies


def measure_case(
    server: servers.Server,
    path: str,
    connections: list[int],
    args: argparse.Namespace,
) -> dict[int, WrkResult]:
    """A warm-up, then one wrk run per connection count. A server whose /health no longer
    answers (a backlog left by the run before) is restarted first, so cases stay independent."""
    if server.ready_path == "/health" and not health_answers(server.base, HEALTH_AFTER_S):
        print(f"  {server.label}: /health down, restarting", file=sys.stderr)
        server.restart()
    # one connection, so that no slow request of the warm-up is still running when we measure
    run_wrk(server.base, path, connections=1, seconds=args.warmup)
    out = {}
    for n in connections:
        seconds = {1: args.d1, 32: args.d32}.get(n, args.d256)
        out[n] = run_wrk(server.base, path, connections=n, seconds=seconds)
        print(f"  {server.label} c{n} {path}: {report.brief(out[n])}", file=sys.stderr)
    return out


# The response cache answers a repeated URL from memory, and wrk repeats one URL, so the targets
# are judged without it (each request does its work); one run with it shows what a hit costs.
NO_CACHE = {"CORPUS_RESPONSE_CACHE_MB": "0"}
CACHED_LABEL = "ours default, cache on"


def our_configs() -> list[tuple[str, int | None, dict[str, str]]]:
    """One worker, `corpus serve`'s default when that is not one worker (both without the
    response cache), and the default with its response cache."""
    default = servers.serve_workers_default()
    configs: list[tuple[str, int | None, dict[str, str]]] = [("ours ×1", 1, NO_CACHE)]
    if default != "1":
        configs.append((f"ours default ({default or 'unstated'} workers)", None, NO_CACHE))
    configs.append((CACHED_LABEL, None, {}))
    return configs


def postgres_database(
    args: argparse.Namespace, source: Path, corpus: Scaled, results: Results
) -> tuple[str, bool]:
    """The corpus in a database of the PostgreSQL server ``--pg``: loaded when missing or made
    from another file, reused otherwise; and whether it was loaded."""
    name = f"bench_{corpus.name}"
    print(f"PostgreSQL: {name} ({corpus.copies} × {source.name})…", file=sys.stderr)
    url, took = postgres.load_once(
        source,
        args.pg,
        name,
        corpus.copies,
        spread_days=corpus.spread_days,
        rebuild=args.rebuild,
    )
    loaded = "reused" if took is None else f"loaded with COPY in {took:.0f} s"
    results.notes.append(f"PostgreSQL `{name}` ({corpus} corpus): {loaded}")
    results.postgres = postgres.server_version(url)
    return url, took is not None


def run_real(args: argparse.Namespace, cases: list[Case], db: Path, results: Results) -> None:
    copies = working_copies(db, "real", ["ours", "datasette", "floor"])
    databases: dict[str, Path | str] = {label: copies["ours"] for label, _, _ in our_configs()}
    configs = our_configs()
    if args.pg:
        databases[POSTGRES_LABEL] = postgres_database(args, db, Scaled("real", 1), results)[0]
        # beside the uncached SQLite servers, with the same worker count as `corpus serve`
        configs.insert(-1, (POSTGRES_LABEL, None, NO_CACHE))
    for case in cases:
        if case.floor:
            results.floor[("real", case.name)] = floor_p50_ms(copies["floor"], case.floor)
    with servers.Servers() as running:
        ceiling = running.add(servers.ceiling())
        results.ceiling = measure_case(ceiling, "/const", [1, 32], args)
        ceiling.stop()
        for label, workers, env in configs:
            results.configs.append(label)
            ours = running.add(servers.ours(label, databases[label], workers, env))
            results.processes[label] = len(ours.pids())
            for case in cases:
                results.runs[(label, "real", case.name)] = measure_case(
                    ours, case.path, [1, 32], args
                )
            if label == CACHED_LABEL:  # overload and exports: measured on the work itself
                results.stop_s[label] = ours.stop()
                continue
            for name, path in EXPORTS:
                results.ttfb[(label, name)] = time_to_first_byte(ours.base, path, args.export_runs)
            for case in (c for c in cases if c.hot):
                result = measure_case(ours, case.path, [256], args)[256]
                answered = health_answers(ours.base, HEALTH_AFTER_S)
                results.overload[(label, case.name)] = (result, answered)
            results.stop_s[label] = ours.stop()
            if ours.restarts:
                results.notes.append(
                    f"{label} was restarted {ours.restarts} time(s): /health did not answer "
                    f"within {HEALTH_AFTER_S:.0f} s before a case (a backlog from the run before)"
                )
        if not args.no_datasette:
            run_datasette(args, cases, copies["datasette"], running, results)


def run_datasette(
    args: argparse.Namespace,
    cases: list[Case],
    db: Path,
    running: servers.Servers,
    results: Results,
) -> None:
    binary = servers.install_datasette(SCRATCH)
    peer = running.add(servers.datasette(binary, db))
    table = f"/{db.stem}/article"
    for case in cases:
        styles = {}
        if case.datasette_search is not None:
            search = "?_search=" + case.datasette_search.replace(" ", "+").replace('"', "%22")
            # raw mode passes FTS5 syntax through (a prefix * is otherwise quoted away)
            search += "&_searchmode=raw" + case.datasette_filter
            styles["lean"] = f"{table}.json{search}&_col=title&_nocount=1&_nofacet=1&_nosuggest=1"
            styles["default"] = f"{table}.json{search}"
        if case.datasette_row is not None:
            styles["lean"] = f"{table}/{case.datasette_row}.json"
        for style, path in styles.items():
            results.peer[(style, case.name)] = measure_case(peer, path, [1, 32], args)
            results.peer_urls[(style, case.name)] = path
    peer.stop()


def run_scaled(
    args: argparse.Namespace,
    cases: list[Case],
    corpus: Scaled,
    real: Path,
    results: Results,
) -> None:
    db = scaled_database(real, corpus, args.rebuild)
    if corpus.copies > corpora.COPIES:
        # too big to copy for every server: read in place (the servers only read), migrated
        corpora.migrate(db)
        copies = {"ours": db, "floor": db}
    else:
        copies = working_copies(db, corpus.name, ["ours", "floor"])
    results.scaled_articles[corpus.name] = corpora.count(
        copies["ours"], "SELECT count(*) FROM article"
    )
    big = [case for case in cases if case.big]
    for case in big:
        if case.floor:  # a case without a hand-written equivalent has no floor
            results.floor[(corpus.name, case.name)] = floor_p50_ms(copies["floor"], case.floor)
    if not Path(f"{copies['ours']}.ranker", "position.json").exists():
        corpora.reindex(f"sqlite:///{copies['ours']}", search_index_only=True)
    with servers.Servers() as running:
        label = f"ours ×1 ({corpus.name})"
        ours = running.add(servers.ours(label, copies["ours"], 1, NO_CACHE))
        for case in big:
            results.runs[("ours ×1", corpus.name, case.name)] = measure_case(
                ours, case.path, [1], args
            )
        ours.stop()
        if args.pg:
            url, loaded = postgres_database(args, real, corpus, results)
            label = f"{POSTGRES_LABEL} ×1 ({corpus.name})"
            # PostgreSQL has no file to keep the search index beside: a folder of the cache's,
            # built again when the database was (a million articles: minutes)
            folder = SCRATCH / "cache" / f"pg-{corpus.name}.ranker"
            index = {"CORPUS_RANKER_PATH": str(folder)}
            if loaded or not (folder / "position.json").exists():
                corpora.reindex(url, search_index_only=True, **index)
            on_pg = running.add(servers.ours(label, url, 1, {**NO_CACHE, **index}))
            for case in big:
                results.runs[(POSTGRES_LABEL, corpus.name, case.name)] = measure_case(
                    on_pg, case.path, [1], args
                )


def run_soak(args: argparse.Namespace, cases: list[Case], db: Path, results: Results) -> None:
    copies = working_copies(db, "real", ["ours"])
    # the default worker count, each request doing its work: the cache would hide a leak
    label, workers, env = [c for c in our_configs() if c[0] != CACHED_LABEL][-1]
    paths = [case.path for case in cases]
    with servers.Servers() as running:
        ours = running.add(servers.ours(label, copies["ours"], workers, env))
        samples: list[tuple[float, float]] = []
        started = time.monotonic()

        def sample() -> None:
            samples.append((time.monotonic() - started, servers.rss_mib(ours.pids())))

        sample()
        result = run_wrk(
            ours.base,
            paths[0],
            connections=32,
            seconds=args.soak,
            paths=paths,
            sample=sample,
        )
        sample()
        results.soak = (label, result, samples)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip()


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    os.chdir(ROOT)
    started = time.monotonic()
    commit = _git("describe", "--always", "--dirty")
    # the code measured: the last commit that changed the app, its schema or its dependencies
    app_commit = _git("log", "-1", "--format=%h %s", "--", "app", "migrations", "*.lock")
    results = Results(
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=commit,
        app_commit=app_commit,
        command="python -m bench " + " ".join(sys.argv[1:]),
        cores=os.cpu_count() or 0,
        load_before=os.getloadavg()[0],
        sqlite=sqlite3.sqlite_version,
    )
    wanted = set(args.corpora.split(","))
    real = real_database(args, results)
    cases = build_cases(real)
    if args.only:
        cases = [c for c in cases if any(o.lower() in c.name.lower() for o in args.only)]
    if args.soak:
        run_soak(args, cases, real, results)
    else:
        if "real" in wanted:
            run_real(args, cases, real, results)
        for name, corpus in SCALED.items():
            if name in wanted:
                run_scaled(args, cases, corpus, real, results)
    results.load_after = os.getloadavg()[0]
    results.seconds = time.monotonic() - started
    text = report.render(results)
    print(text)
    out = args.out or SCRATCH / f"results-{datetime.now(UTC):%Y%m%d-%H%M%S}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
