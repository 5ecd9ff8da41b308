"""Load generation: run wrk and parse its report; time to first byte; /health probes."""

import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

# wrk prints durations as 812.00us, 4.12ms, 1.05s or 2.00m
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_duration_re = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")
_percentile_re = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", re.MULTILINE)
_requests_re = re.compile(r"^\s*(\d+) requests in ([\d.]+\w+)", re.MULTILINE)
_rate_re = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_non2xx_re = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_sent_re = re.compile(r"^Requests sent: (\d+)", re.MULTILINE)
_socket_re = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
# wrk counts a request as a timeout when it has waited longer than --timeout
TIMEOUT_S = 5
SAMPLE_EVERY_S = 5


@dataclass(frozen=True)
class WrkResult:
    """One wrk run. Latencies in milliseconds; ``timeouts`` are requests answered after more
    than ``TIMEOUT_S``; ``unanswered`` were sent but not answered when the run ended (at most
    one per connection: a healthy run ends with about one in flight on each)."""

    connections: int
    requests: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    non2xx: int
    errors: int
    timeouts: int
    unanswered: int


def parse_duration_ms(text: str) -> float:
    match = _duration_re.match(text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, connections: int) -> WrkResult:
    """Read the numbers we keep from ``wrk --latency`` output."""
    percentiles = {int(p): parse_duration_ms(v) for p, v in _percentile_re.findall(output)}
    requests = _requests_re.search(output)
    rate = _rate_re.search(output)
    non2xx = _non2xx_re.search(output)
    sockets = _socket_re.search(output)
    connect, read, write, timeout = (int(n) for n in sockets.groups()) if sockets else (0,) * 4
    count = int(requests.group(1)) if requests else 0
    sent = _sent_re.search(output)
    return WrkResult(
        connections=connections,
        requests=count,
        rps=float(rate.group(1)) if rate else 0.0,
        # wrk prints a latency table even when nothing completed (all zeros)
        p50_ms=percentiles.get(50) if count else None,
        p99_ms=percentiles.get(99) if count else None,
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        errors=connect + read + write,
        timeouts=timeout,
        # a request that failed on the socket was sent and not answered either
        unanswered=(
            min(connections, max(0, int(sent.group(1)) - count - connect - read - write))
            if sent
            else 0
        ),
    )


def wrk_script(paths: list[str] | None = None) -> str:
    """A wrk Lua script that counts the requests sent and, given ``paths``, sends them in turn
    (the soak's mix of endpoints). wrk counts only answered requests, and as timeouts only those
    answered late (its own check of waiting requests is never scheduled in wrk 4.1), so a request
    still waiting when the run ends shows nowhere else."""
    lines = [
        "local threads = {}",
        "function setup(thread) table.insert(threads, thread) end",
        "function init(args) sent = 0 end",
    ]
    if paths:
        quoted = ", ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
        lines += [
            f"local paths = {{{quoted}}}",
            "local i = 0",
            "function request()",
            "  sent = sent + 1",
            "  i = i % #paths + 1",
            '  return wrk.format("GET", paths[i])',
            "end",
        ]
    else:
        lines += ["function request()", "  sent = sent + 1", "  return wrk.request()", "end"]
    lines += [
        "function done(summary, latency, requests)",
        "  local total = 0",
        '  for _, t in ipairs(threads) do total = total + t:get("sent") end',
        '  io.write(string.format("Requests sent: %d\\n", total))',
        "end",
    ]
    return "\n".join(lines) + "\n"


def run_wrk(
    base: str,
    path: str,
    *,
    connections: int,
    seconds: float,
    paths: list[str] | None = None,
    sample: Callable[[], None] | None = None,
) -> WrkResult:
    """``wrk`` for ``seconds`` on ``path``, or on ``paths`` in turn; ``sample`` is called every
    few seconds while it runs."""
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={TIMEOUT_S}s",
        "--latency",
    ]
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "count.lua"
        lua.write_text(wrk_script(paths))
        command += ["-s", str(lua)]
        process = subprocess.Popen(
            [*command, base + path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        # wrk stops at -d; the margin covers its start and the requests it waits for
        deadline = time.monotonic() + seconds + TIMEOUT_S + 30
        while True:
            try:
                stdout, stderr = process.communicate(timeout=SAMPLE_EVERY_S)
                break
            except subprocess.TimeoutExpired:
                if sample is not None:
                    sample()
                if time.monotonic() > deadline:
                    process.kill()
                    raise
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed: {stderr.strip()}")
    return parse_wrk(stdout, connections)


def time_to_first_byte(base: str, path: str, runs: int) -> float:
    """Median milliseconds from sending the request to the first body byte of a stream."""
    timings = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(runs):
            started = time.perf_counter()
            with client.stream("GET", path) as response:
                response.raise_for_status()
                next(response.iter_raw(), b"")
                timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def health_answers(base: str, within_s: float) -> bool:
    """Does GET /health give a 2xx within ``within_s`` seconds?"""
    try:
        response = httpx.get(base + "/health", timeout=within_s)
    except httpx.HTTPError:
        return False
    return response.is_success
