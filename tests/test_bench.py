"""The benchmark harness's pure parts: wrk's report parser, the 100k copier and the report
(no timing)."""

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session

from bench import report
from bench.corpora import scale
from bench.load import WrkResult, parse_duration_ms, parse_wrk, wrk_script
from bench.report import Results
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


def test_the_100k_table_sets_each_case_beside_its_floor_and_the_fixed_cost() -> None:
    def run(p50_ms: float) -> dict[int, WrkResult]:
        return {1: WrkResult(1, 100, 100.0, p50_ms, p50_ms, 0, 0, 0, 1)}

    results = Results("now", "abc", "abc", "python -m bench", 2, 0.0, "3.40.1")
    results.ceiling = run(0.5)
    results.runs[("ours ×1", "100k", "rare")] = run(3.0)
    results.runs[("ours ×1", "real", "rare")] = run(2.0)
    results.floor[("100k", "rare")] = 1.0
    row = next(line for line in report._scaled(results) if line.startswith("| rare"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # p50, floor, ÷ floor, ÷ (floor + ceiling), failures, real p50, 100k ÷ real
    assert cells[1:5] == ["3.0", "1.00", "3.00×", "2.00×"]
    assert cells[-1] == "1.50×"
