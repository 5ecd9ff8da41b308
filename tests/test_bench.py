"""The benchmark harness's pure parts (no timing): wrk's report parser, the 100k copier, the
report's tables with and without PostgreSQL, and the PostgreSQL loader."""

import os
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from sqlmodel import Session

from bench import report
from bench.__main__ import parse_args
from bench.corpora import scale
from bench.load import WrkResult, parse_duration_ms, parse_wrk, wrk_script
from bench.postgres import load_once
from bench.report import POSTGRES_LABEL, Results, render
from tests.conftest import PostgresServer
from tests.factories import make_article, make_entity, make_mention, make_quote

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:8000/api/v1/search?q=year
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.34ms  100.00ms   1.20s    70.00%
    Req/Sec    31.00     10.00    60.00     70.00%
  Latency Distribution
     50%  509.50ms
     75%  600.00ms
     90%  700.00ms
     99%    1.05s
  470 requests in 8.03s, 4.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 7
  Non-2xx or 3xx responses: 12
Requests/sec:     58.53
Transfer/sec:    573.00KB
Requests sent: 490
"""


class TestParseWrk:
    def test_reads_rate_percentiles_and_failures(self) -> None:
        result = parse_wrk(WRK_OUTPUT, 32)
        assert result.requests == 470
        assert result.rps == pytest.approx(58.53)
        assert result.p50_ms == pytest.approx(509.5)
        assert result.p99_ms == pytest.approx(1050.0)
        assert (result.non2xx, result.errors, result.timeouts) == (12, 2, 7)
        # 490 sent, 470 answered, 2 lost on the socket
        assert result.unanswered == 18
        assert parse_wrk(WRK_OUTPUT, 8).unanswered == 8  # at most one per connection

    def test_clean_run_has_no_failures(self) -> None:
        clean = WRK_OUTPUT.replace("read 2", "read 0").replace("timeout 7", "timeout 0")
        clean = clean.replace("  Non-2xx or 3xx responses: 12\n", "")
        result = parse_wrk(clean, 32)
        assert (result.non2xx, result.errors, result.timeouts) == (0, 0, 0)

    def test_nothing_answered_has_no_latency(self) -> None:
        empty = WRK_OUTPUT.replace("470 requests", "0 requests").replace("58.53", "0.00")
        result = parse_wrk(empty, 256)
        assert result.requests == 0
        assert result.p50_ms is None

    @pytest.mark.parametrize(
        ("text", "ms"),
        [("812.00us", 0.812), ("4.12ms", 4.12), ("1.05s", 1050.0), ("2.00m", 120_000.0)],
    )
    def test_durations(self, text: str, ms: float) -> None:
        assert parse_duration_ms(text) == pytest.approx(ms)


def test_wrk_script_quotes_paths() -> None:
    script = wrk_script(["/a?q=%22x%22", '/b?q="y"'])
    assert 'local paths = {"/a?q=%22x%22", "/b?q=\\"y\\""}' in script
    assert "wrk.request()" in wrk_script()


def test_scale_copies_articles_quotes_and_mentions(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    entity = make_entity(session, name="Tony Blair", type="PERSON")
    for body in ("Melbourne weather this year.", "Another year in Parliament."):
        article = make_article(session, body=body)
        make_mention(session, article, entity)
        make_quote(session, article, speaker="Tony Blair", speaker_entity_id=entity.id)
    target = tmp_path / "x3.db"
    scale(Path(db_url.removeprefix("sqlite:///")), target, copies=3)
    conn = sqlite3.connect(target)

    def one(sql: str) -> object:
        return conn.execute(sql).fetchone()[0]

    assert one("SELECT count(*) FROM article") == 6
    assert one("SELECT count(DISTINCT source_id) FROM article") == 6
    assert one("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'year'") == 6
    assert one("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'melbourne'") == 3
    assert one("SELECT count(*) FROM quote WHERE speaker = 'Tony Blair'") == 6
    assert one("SELECT count(*) FROM quote_fts") == 6
    assert one("SELECT count(DISTINCT article_id) FROM mention") == 6
    assert one("SELECT count(*) FROM entity") == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


@pytest.mark.sqlite_only
def test_a_given_database_is_copied_again_only_when_it_changed(
    session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.__main__ as harness

    make_article(session)
    monkeypatch.setattr(harness, "SCRATCH", tmp_path)
    source = Path(db_url.removeprefix("sqlite:///"))
    args = parse_args(["--db", str(source)])
    results: Any = SimpleNamespace(notes=[])  # what real_database writes to
    copied = harness.real_database(args, results)
    first = copied.stat().st_mtime_ns
    time.sleep(0.01)
    assert harness.real_database(args, results).stat().st_mtime_ns == first  # reused
    make_article(session)  # the source changes: copied again
    assert harness.real_database(args, results).stat().st_mtime_ns > first
    assert sqlite3.connect(copied).execute("SELECT count(*) FROM article").fetchone()[0] == 2


def test_the_100k_table_sets_each_case_beside_its_floor_and_the_fixed_cost() -> None:
    def run(p50_ms: float) -> dict[int, WrkResult]:
        return {1: WrkResult(1, 100, 100.0, p50_ms, p50_ms, 0, 0, 0, 1)}

    results = Results("now", "abc", "abc", "python -m bench", 2, 0.0, "3.40.1")
    results.ceiling = run(0.5)
    results.runs[("ours ×1", "100k", "rare")] = run(3.0)
    results.runs[("ours ×1", "real", "rare")] = run(2.0)
    results.floor[("100k", "rare")] = 1.0
    row = next(line for line in report._scaled(results, "100k") if line.startswith("| rare"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # p50, floor, ÷ floor, ÷ (floor + ceiling), failures, real p50, 100k ÷ real
    assert cells[1:5] == ["3.0", "1.00", "3.00×", "2.00×"]
    assert cells[-1] == "1.50×"


def _wrk(p50_ms: float, rps: float = 100.0) -> WrkResult:
    return WrkResult(
        connections=1,
        requests=100,
        rps=rps,
        p50_ms=p50_ms,
        p99_ms=p50_ms * 2,
        non2xx=0,
        errors=0,
        timeouts=0,
        unanswered=0,
    )


def _results(*, postgres: bool) -> Results:
    results = Results(
        when="now",
        commit="abc",
        app_commit="abc x",
        command="python -m bench",
        cores=2,
        load_before=1.0,
        sqlite="3.45",
    )
    case = "search rare `melbourne`"
    results.configs = ["ours ×1"] + ([POSTGRES_LABEL] if postgres else [])
    results.runs[("ours ×1", "real", case)] = {1: _wrk(4.0), 32: _wrk(5.0, rps=400.0)}
    results.runs[("ours ×1", "100k", case)] = {1: _wrk(8.0)}
    results.floor[("real", case)] = 1.0
    if postgres:
        results.postgres = "15.20"
        results.runs[(POSTGRES_LABEL, "real", case)] = {1: _wrk(10.0), 32: _wrk(20.0, rps=150.0)}
        results.runs[(POSTGRES_LABEL, "100k", case)] = {1: _wrk(24.0)}
    results.scaled_articles = {"100k": 99_220}
    return results


def _row(text: str, heading: str, case: str) -> dict[str, str]:
    """The cells of ``case``'s row in the table under ``heading``, by column name."""
    table = text.split(heading, 1)[1].split("\n\n", 2)[1].splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == case:
            return dict(zip(header, cells, strict=True))
    raise AssertionError(f"no row {case!r} under {heading!r}")


class TestReportWithPostgres:
    case = "search rare `melbourne`"

    def test_postgres_is_one_more_server_in_the_same_tables(self) -> None:
        text = render(_results(postgres=True))
        assert "SQLite 3.45, PostgreSQL 15.20" in text
        throughput = _row(text, "32 connections", self.case)
        assert throughput[f"{POSTGRES_LABEL} req/s"] == "150"
        assert throughput["ours ×1 req/s"] == "400"
        latency = _row(text, "one connection, p50", self.case)
        assert latency[f"{POSTGRES_LABEL} p50 ms"] == "10.00"
        assert latency["PostgreSQL ÷ SQLite"] == "2.50×"
        scaled = _row(text, "99,220 articles", self.case)
        assert scaled[f"{POSTGRES_LABEL} ×1 p50 ms"] == "24.0"
        assert scaled["PostgreSQL ÷ SQLite"] == "3.00×"
        assert scaled["PostgreSQL failures"] == "✓"

    def test_without_postgres_the_tables_are_as_before(self) -> None:
        text = render(_results(postgres=False))
        assert "PostgreSQL" not in text
        assert list(_row(text, "one connection, p50", self.case))[-1] == "Datasette default p50 ms"
        assert list(_row(text, "99,220 articles", self.case))[-1] == "100k ÷ real"


def test_pg_flag(tmp_path: Path) -> None:
    assert parse_args([]).pg is None
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    assert parse_args(["--pg", url]).pg == url


def test_postgres_load_once_reuses_what_it_loaded(
    session: Session, db_url: str, postgres: PostgresServer
) -> None:
    """The corpus (any schema: it is read from a migrated copy) is loaded `copies` times with
    new ids, searchable; loaded again only when its file changes or on `rebuild`."""
    entity = make_entity(session, name="Tony Blair", type="PERSON")
    for body in ("Melbourne weather this year.", "Another year in Parliament."):
        article = make_article(session, body=body)
        make_mention(session, article, entity)
        make_quote(session, article, speaker="Tony Blair", speaker_entity_id=entity.id)
    source = Path(db_url.removeprefix("sqlite:///"))
    name = postgres.prefix + "bench"
    try:
        url, took = load_once(source, postgres.url, name, 3)
        assert took is not None
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:

            def one(sql: str) -> object:
                row = conn.execute(sql.encode()).fetchone()
                assert row is not None
                return row[0]

            assert one("SELECT count(*) FROM article") == 6
            assert one("SELECT count(*) FROM article WHERE search @@ 'melbourn'") == 3
            assert one("SELECT count(*) FROM quote WHERE speaker = 'Tony Blair'") == 6
            assert one("SELECT count(DISTINCT article_id) FROM mention") == 6
        assert load_once(source, postgres.url, name, 3) == (url, None)
        assert load_once(source, postgres.url, name, 3, rebuild=True)[1] is not None
        assert load_once(source, postgres.url, name, 2)[1] is not None  # other copies
        os.utime(source, ns=(time.time_ns(), time.time_ns()))  # a new copy of the same rows
        assert load_once(source, postgres.url, name, 2)[1] is None
        make_article(session, body="One more article.")
        assert load_once(source, postgres.url, name, 2)[1] is not None  # the corpus changed
    finally:
        postgres.drop(name)


def test_perrequest_drives_an_asgi_app_in_process() -> None:
    """bench.perrequest's driver: one GET through an app, its status and whole body."""
    import asyncio
    import json

    from bench.ceiling import app as ceiling
    from bench.perrequest import request

    status, body = asyncio.run(request(ceiling, "/const?x=1"))
    assert status == 200
    assert json.loads(body)["items"][0]["title"] == "constant"
    assert asyncio.run(request(ceiling, "/missing"))[0] == 404
