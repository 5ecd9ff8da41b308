"""A bad-input corpus generated here, run through `corpus ingest`: every bad record is reported
with its file (or URL), line and reason, every good one is stored, and the exit code says that
something failed."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from tests.ingest.conftest import FixtureServer, page

GOOD = "The harbour board met on Monday and approved the plan for the new wall."


def write_corpus(folder: Path, server: FixtureServer) -> tuple[Path, set[str]]:
    """The inputs, and the source ids of the records that must be stored."""
    folder.mkdir()
    for name in ("empty.txt", "empty.jsonl", "empty.csv", "empty.json"):
        (folder / name).write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "binary.jsonl").write_bytes(b'{"id": "x"}\n\x00\x01\x02')
    (folder / "types.jsonl").write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "t-good", "body": GOOD},
                {"id": "t-title", "title": ["a", "b"], "body": GOOD + " Again."},
                {"id": ["t-id"], "body": GOOD},
                {"id": "t-body", "body": 12345},
                {"id": "t-short", "body": "x"},
            ]
        ),
        encoding="utf-8",
    )
    (folder / "columns.csv").write_text(
        "id,title,body\n"
        f"c-good,Wall,{GOOD}\n"
        "c-missing,Only a title\n"
        f'c-extra,Wall,"{GOOD} More.",surplus,cells\n',
        encoding="utf-8",
    )
    (folder / "nobody.csv").write_text("id,title\n1,Headline only\n", encoding="utf-8")
    big = ("A long paragraph about the harbour and the sea wall. " * 40 + "\n\n") * 980
    assert len(big) > 2_000_000
    (folder / "big.jsonl").write_text(json.dumps({"id": "big", "body": big}), encoding="utf-8")
    (folder / "nav.html").write_text(
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>",
        encoding="utf-8",
    )
    (folder / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>'
        f"<item><title>Wall</title><guid>f-good</guid><description>{GOOD}</description>"
        "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<![CDATA[<p>{GOOD} In the feed.</p>]]></content:encoded></item>"
        "<item><title>Broken: no link, no text</title></item></channel></rss>",
        encoding="utf-8",
    )
    good_page = server.add("/wall", page("Harbour wall approved", [GOOD, GOOD.upper()]))
    (folder / "page.html").write_text(page("Harbour", [GOOD + " Page."]), encoding="utf-8")
    urls = folder.parent / "urls.txt"
    urls.write_text(
        "\n".join([good_page, *(f"{server.base}/{p}" for p in ("slow", "missing", "huge"))]),
        encoding="utf-8",
    )
    return urls, {"t-good", "c-good", "big", "f-good", "page", good_page}


def test_every_bad_record_is_reported_and_every_good_one_stored(
    tmp_path: Path,
    db_url: str,
    blank_model: str,
    server: FixtureServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "in"
    urls, good_ids = write_corpus(folder, server)
    for name, value in {
        "DATABASE_URL": db_url,
        "SPACY_MODEL": blank_model,
        "FETCH_TIMEOUT_S": "0.5",
        "FETCH_RETRIES": "0",
        "FETCH_MAX_BYTES": "1000000",
    }.items():
        monkeypatch.setenv(f"CORPUS_{name}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(folder), "--urls", str(urls)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    failed = sorted(
        line.removeprefix("failed: ").replace(str(folder) + "/", "")
        for line in result.output.splitlines()
        if line.startswith("failed: ")
    )
    base = server.base
    assert failed == sorted(
        [
            "binary.jsonl: binary content (a NUL byte at byte 12): this is not a text file",
            "binary.txt: binary content (a NUL byte at byte 8): this is not a text file",
            "columns.csv:3: missing body (expected a 'body' or 'text' field)",
            "columns.csv:4: 2 more cell(s) than the header's 3 columns",
            "empty.csv: no records: the file is empty",
            "empty.json: no records: the file is empty",
            "empty.jsonl: no records: the file is empty",
            "empty.txt: no records: the file is empty",
            "feed.rss:2: feed item has no content and no link",
            "nav.html:1: no article text found in the page",
            "nobody.csv:1: CSV header has no 'body', 'text' or 'content' column",
            "types.jsonl:2: field 'title': Input should be a valid string",
            "types.jsonl:3: field 'id': Input should be a valid string",
            "types.jsonl:4: field 'body': Input should be a valid string",
            "types.jsonl:5: body too short to be an article (1 character(s); at least 5 letters "
            "or digits needed)",
            f"{base}/huge: too large: over 1000000 bytes",
            f"{base}/missing: HTTP 404 Not Found",
            f"{base}/slow: timed out after 0.5 s (after 1 attempts)",
        ]
    )
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
        stored = {row[0] for row in db.execute("SELECT source_id FROM article")}
    assert stored == good_ids
    assert f"{len(good_ids)} added" in result.output
