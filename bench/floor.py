"""The in-process floor: a case's SQL run with Python's ``sqlite3`` on its own copy."""

import sqlite3
import statistics
import time
from pathlib import Path

from bench.cases import Statement

_MIN_RUNS = 5
_MAX_RUNS = 300
_BUDGET_S = 2.0


def floor_p50_ms(db: Path, statements: tuple[Statement, ...]) -> float:
    """Median milliseconds to run ``statements`` and fetch every row, after a warm-up run;
    at least 5 runs, then more until 2 s have passed (300 at most)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:

        def run_once() -> float:
            started = time.perf_counter()
            for sql, params in statements:
                conn.execute(sql, params).fetchall()
            return (time.perf_counter() - started) * 1000

        run_once()
        timings: list[float] = []
        deadline = time.monotonic() + _BUDGET_S
        while len(timings) < _MIN_RUNS or (
            time.monotonic() < deadline and len(timings) < _MAX_RUNS
        ):
            timings.append(run_once())
        return statistics.median(timings)
    finally:
        conn.close()
