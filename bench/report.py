"""The Markdown report: absolute numbers and the ratios the targets of issue 7 are set in."""

from dataclasses import dataclass, field

from bench.corpora import IngestStats
from bench.load import TIMEOUT_S, WrkResult

RunKey = tuple[str, str, str]  # (server label, corpus, case)
# our API on PostgreSQL (`--pg`): one more server configuration in the same tables
POSTGRES_LABEL = "ours on PostgreSQL"


@dataclass
class Results:
    when: str
    commit: str
    app_commit: str
    command: str
    cores: int
    load_before: float
    sqlite: str
    postgres: str = ""
    load_after: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    ingest: IngestStats | None = None
    floor: dict[tuple[str, str], float] = field(default_factory=dict)
    ceiling: dict[int, WrkResult] = field(default_factory=dict)
    configs: list[str] = field(default_factory=list)
    processes: dict[str, int] = field(default_factory=dict)
    runs: dict[RunKey, dict[int, WrkResult]] = field(default_factory=dict)
    ttfb: dict[tuple[str, str], float] = field(default_factory=dict)
    overload: dict[tuple[str, str], tuple[WrkResult, bool]] = field(default_factory=dict)
    stop_s: dict[str, float | None] = field(default_factory=dict)
    peer: dict[tuple[str, str], dict[int, WrkResult]] = field(default_factory=dict)
    peer_urls: dict[tuple[str, str], str] = field(default_factory=dict)
    scaled_articles: dict[str, int] = field(default_factory=dict)
    soak: tuple[str, WrkResult, list[tuple[float, float]]] | None = None


def num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def ratio(top: float | None, bottom: float | None) -> str:
    if top is None or not bottom:
        return "–"
    return f"{top / bottom:.2f}×"


def brief(result: WrkResult) -> str:
    """One line for the progress log."""
    flags = f" non-2xx {result.non2xx}" if result.non2xx else ""
    flags += f" >{TIMEOUT_S}s {result.timeouts}" if result.timeouts else ""
    flags += f" errors {result.errors}" if result.errors else ""
    flags += f" in flight at the end {result.unanswered}" if result.unanswered else ""
    return f"{result.rps:.0f} req/s, p50 {num(result.p50_ms)} ms{flags}"


def problems(result: WrkResult | None) -> str:
    """Non-2xx, requests over the timeout and socket errors, or ✓ when there are none."""
    if result is None:
        return "–"
    if not (result.non2xx or result.timeouts or result.errors or result.requests == 0):
        return "✓"
    parts = [f"{result.requests} answers"] if result.requests == 0 else []
    parts += [f"{result.non2xx} non-2xx"] if result.non2xx else []
    parts += [f"{result.timeouts} >{TIMEOUT_S} s"] if result.timeouts else []
    parts += [f"{result.errors} socket errors"] if result.errors else []
    return ", ".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _cases(results: Results, corpus: str) -> list[str]:
    seen: dict[str, None] = {}
    for _, run_corpus, case in results.runs:
        if run_corpus == corpus:
            seen[case] = None
    return list(seen)


def _rps(result: WrkResult | None) -> float | None:
    return None if result is None else result.rps


def _p50_ms(result: WrkResult | None) -> float | None:
    return None if result is None else result.p50_ms


def _p99_ms(result: WrkResult | None) -> float | None:
    return None if result is None else result.p99_ms


def _get(runs: dict[int, WrkResult] | None, connections: int) -> WrkResult | None:
    return None if runs is None else runs.get(connections)


def _throughput(results: Results) -> list[str]:
    header = ["case"]
    for label in results.configs:
        header += [f"{label} req/s", f"{label} p99 ms", f"{label} failures"]
    header += ["Datasette lean req/s", "Datasette default req/s", "Datasette failures"]
    header += [f"{label} ÷ lean" for label in results.configs]
    rows = []
    for case in _cases(results, "real"):
        lean = _get(results.peer.get(("lean", case)), 32)
        default = _get(results.peer.get(("default", case)), 32)
        row = [case]
        ours = [_get(results.runs.get((label, "real", case)), 32) for label in results.configs]
        for result in ours:
            row += [
                num(_rps(result), 0),
                num(_p99_ms(result)),
                problems(result),
            ]
        peer = "; ".join(problems(r) for r in (lean, default) if r is not None) or "–"
        row += [num(_rps(lean), 0), num(_rps(default), 0), peer]
        row += [ratio(_rps(r), _rps(lean)) for r in ours]
        rows.append(row)
    return _table(header, rows)


def _on_postgres(results: Results, corpus: str) -> bool:
    return any(label == POSTGRES_LABEL and c == corpus for label, c, _ in results.runs)


def _ceiling_ms(results: Results) -> float | None:
    """The framework ceiling's p50 at one connection: the fixed cost of any request."""
    ceiling = _get(results.ceiling, 1)
    return ceiling.p50_ms if ceiling else None


def _latency(results: Results) -> list[str]:
    ceiling_ms = _ceiling_ms(results)
    label = results.configs[0]
    header = [
        "case",
        f"{label} p50 ms",
        "floor p50 ms",
        "ceiling p50 ms",
        "ours ÷ (floor + ceiling)",
        "Datasette lean p50 ms",
        "Datasette default p50 ms",
    ]
    postgres = _on_postgres(results, "real")
    if postgres:
        header += [f"{POSTGRES_LABEL} p50 ms", "PostgreSQL ÷ SQLite"]
    rows = []
    for case in _cases(results, "real"):
        ours = _get(results.runs.get((label, "real", case)), 1)
        floor = results.floor.get(("real", case))
        total = None if floor is None or ceiling_ms is None else floor + ceiling_ms
        lean = _get(results.peer.get(("lean", case)), 1)
        default = _get(results.peer.get(("default", case)), 1)
        row = [
            case,
            num(_p50_ms(ours), 2),
            num(floor, 2),
            num(ceiling_ms, 2),
            ratio(_p50_ms(ours), total),
            num(_p50_ms(lean), 2),
            num(_p50_ms(default), 2),
        ]
        if postgres:
            pg = _get(results.runs.get((POSTGRES_LABEL, "real", case)), 1)
            row += [num(_p50_ms(pg), 2), ratio(_p50_ms(pg), _p50_ms(ours))]
        rows.append(row)
    return _table(header, rows)


def _overload(results: Results) -> list[str]:
    header = ["case", "server", "answers", "req/s", "p50 ms", "p99 ms", "non-2xx"]
    header += [f"answered after >{TIMEOUT_S} s", "in flight at the end", "socket errors"]
    header += ["/health ≤ 2 s after"]
    rows = []
    for (label, case), (r, answered) in results.overload.items():
        rows.append(
            [case, label, f"{r.requests:,}", num(r.rps, 0), num(r.p50_ms), num(r.p99_ms)]
            + [str(r.non2xx), str(r.timeouts), str(r.unanswered), str(r.errors)]
            + ["yes" if answered else "**no**"]
        )
    return _table(header, rows)


def _scaled(results: Results, corpus: str) -> list[str]:
    # the fixed cost of any request (the framework ceiling) beside the floor, as in the
    # one-connection table: a small floor can be within 1.5× of it only if that cost is too
    ceiling_ms = _ceiling_ms(results)
    header = ["case", "ours ×1 p50 ms", "floor p50 ms", "ours ÷ floor", "ours ÷ (floor + ceiling)"]
    header += ["failures", "real-corpus p50 ms", f"{corpus} ÷ real"]
    postgres = _on_postgres(results, corpus)
    if postgres:
        header += [f"{POSTGRES_LABEL} ×1 p50 ms", "PostgreSQL failures", "PostgreSQL ÷ SQLite"]
    rows = []
    for case in _cases(results, corpus):
        ours = _get(results.runs.get(("ours ×1", corpus, case)), 1)
        real = _get(results.runs.get(("ours ×1", "real", case)), 1)
        floor = results.floor.get((corpus, case))
        total = None if floor is None or ceiling_ms is None else floor + ceiling_ms
        row = [
            case,
            num(_p50_ms(ours)),
            num(floor, 2),
            ratio(_p50_ms(ours), floor),
            ratio(_p50_ms(ours), total),
            problems(ours),
            num(_p50_ms(real), 2),
            ratio(_p50_ms(ours), _p50_ms(real)),
        ]
        if postgres:
            pg = _get(results.runs.get((POSTGRES_LABEL, corpus, case)), 1)
            row += [num(_p50_ms(pg)), problems(pg), ratio(_p50_ms(pg), _p50_ms(ours))]
        rows.append(row)
    return _table(header, rows)


def render(results: Results) -> str:
    out = [
        f"# Benchmark {results.when}, commit `{results.commit}`",
        "",
        f"- app code: `{results.app_commit}`"
        + (" (uncommitted changes)" if "dirty" in results.commit else ""),
        f"- command: `{results.command}`; {results.seconds / 60:.1f} min",
        f"- {results.cores} cores; load average {results.load_before:.2f} at the start, "
        f"{results.load_after:.2f} at the end; SQLite {results.sqlite}"
        + (f", PostgreSQL {results.postgres}" if results.postgres else ""),
    ]
    out += [f"- {note}" for note in results.notes]
    for label, processes in results.processes.items():
        stop = results.stop_s.get(label, 0.0)
        took = "did not stop on SIGTERM within 10 s" if stop is None else f"{stop:.1f} s"
        out.append(f"- {label}: {processes} process(es); stop on SIGTERM: {took}")
    if results.ingest is not None:
        i = results.ingest
        out += [
            "",
            "## Ingestion",
            "",
            f"- `{i.summary}`",
            f"- {i.seconds:.1f} s: {i.articles / i.seconds:.1f} articles/s, "
            f"{i.words / i.seconds:,.0f} words/s; {i.quotes:,} quotes, {i.entities:,} entities",
            f"- peak RSS of `corpus ingest` {i.peak_rss_mib:.0f} MiB; "
            f"database {i.size_mib:.1f} MiB",
        ]
    if results.configs:
        out += ["", "## Real corpus: 32 connections (`wrk -t2 -c32`)", ""]
        out += _throughput(results)
        out += ["", "## Real corpus: one connection, p50", ""]
        ceiling = _get(results.ceiling, 32)
        if ceiling is not None:
            out += [f"Ceiling (constant JSON) at 32 connections: {ceiling.rps:,.0f} req/s.", ""]
        out += _latency(results)
    if results.overload:
        out += ["", f"## 256 connections, {TIMEOUT_S} s timeout", ""] + _overload(results)
    if results.ttfb:
        out += ["", "## Exports: time to first byte (median)", ""]
        rows = [[name, label, num(ms)] for (label, name), ms in results.ttfb.items()]
        out += _table(["export", "server", "ms"], rows)
    for corpus, articles in results.scaled_articles.items():
        out += ["", f"## {articles:,} articles ({corpus}): one connection, p50", ""]
        out += _scaled(results, corpus)
    if results.soak is not None:
        label, r, samples = results.soak
        peak = max(rss for _, rss in samples)
        out += [
            "",
            f"## Soak: {label}, 32 connections, {samples[-1][0]:.0f} s, rotating the cases",
            "",
            f"- {r.requests:,} answers, {r.rps:,.0f} req/s, p99 {num(r.p99_ms)} ms; {problems(r)}",
            f"- RSS of the server processes: start {samples[0][1]:.0f} MiB, peak {peak:.0f} MiB, "
            f"end {samples[-1][1]:.0f} MiB ({len(samples)} samples)",
            "- by minute: "
            + ", ".join(
                f"{at / 60:.0f} min {mib:.0f}"
                for at, mib in samples
                if at == 0 or int(at // 60) != int((at - 5) // 60)
            ),
        ]
    if results.peer_urls:
        out += ["", "Datasette URLs:", ""]
        out += [f"- {style} {case}: `{url}`" for (style, case), url in results.peer_urls.items()]
    return "\n".join(out) + "\n"
