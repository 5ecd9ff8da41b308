"""Regression tests for the defects found by probing ingestion (issue 10), one per defect."""

import json
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.engines.connect import create_db_engine
from app.ingest.annotate import annotate_in_parts, split_text
from app.ingest.read import iter_documents
from app.ingest.record import RawArticle, RecordError
from app.ingest.run import ingest

PAGE = """<!DOCTYPE html>
<html><head><title>Harbour | Gazette</title>
<meta property="og:title" content="Harbour wall gives way in storm">
<script>window.tracking = "reserved.</p><a";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour wall gives way in storm</h1>
<p>The old harbour wall at Kelby collapsed overnight after waves battered the town for hours.</p>
<p>Engineers said the repairs would take most of the summer and cost the council dearly.</p>
</article><footer>All rights reserved.</footer></body></html>
"""


def read(path: Path) -> list[RawArticle | RecordError]:
    return list(iter_documents(path, path.parent))


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


def rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


class TestLongText:
    def test_parts_cover_the_text_and_cut_at_paragraphs(self) -> None:
        text = "\n\n".join(f"Paragraph {n} " + "word " * 30 for n in range(200))
        parts = list(split_text(text, 1000))
        assert "".join(part for _, part in parts) == text
        assert all(len(part) <= 1000 for _, part in parts)
        assert all(part.endswith("\n\n") for _, part in parts[:-1])
        assert [offset for offset, _ in parts] == [
            sum(len(p) for _, p in parts[:i]) for i in range(len(parts))
        ]

    def test_a_word_longer_than_a_part_is_cut_anyway(self) -> None:
        assert [p for _, p in split_text("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]

    def test_offsets_of_later_parts_index_the_whole_text(self, blank_model: str) -> None:
        # a quote of more than five words: with no parser, no cue is found, and a shorter
        # phrase in marks would be taken for a term
        quoted = "The end of this long road is near."
        text = "Filler words here. " * 20 + f'She said: "{quoted}"'
        [annotation] = annotate_in_parts([text], model=blank_model, batch_size=8, part_chars=64)
        [quote] = annotation.quotes
        assert text[quote.start : quote.end] == quote.text == quoted

    def test_an_article_over_spacys_limit_is_stored_with_its_batch(
        self, engine: Engine, tmp_path: Path, blank_model: str
    ) -> None:
        """Before: E088 failed all 64 articles of the batch, on every run."""
        huge = ("A long paragraph of testimony. " * 40 + "\n\n") * 900  # ~1.1M characters
        assert len(huge) > 1_000_000
        records = [{"id": f"ok{n}", "body": f"Short story number {n}."} for n in range(5)]
        quoted = "It is over for all of us now."  # over five words: blank models find no cue
        records.insert(2, {"id": "huge", "body": huge + f'Lee said: "{quoted}"'})
        feed = tmp_path / "feed.jsonl"
        feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        report = ingest([feed], engine=engine, model=blank_model)
        assert (report.added, report.failed) == (6, 0)
        [(body,)] = rows(engine, "SELECT body FROM article WHERE source_id = 'huge'")
        [(start, end)] = rows(engine, 'SELECT start, "end" FROM quote')
        assert isinstance(body, str) and isinstance(start, int) and isinstance(end, int)
        assert body[start:end] == quoted


class TestEncodings:
    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
    def test_text_with_a_bom(self, tmp_path: Path, encoding: str) -> None:
        text = "Zürich vote\n\nVoters in Zürich backed the plan, officials said.\n"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        path = tmp_path / "a.txt"
        path.write_bytes(data)
        [doc] = read(path)
        assert isinstance(doc, RawArticle), doc
        assert doc.title == "Zürich vote" and doc.body.startswith("Voters in Zürich")

    def test_jsonl_in_utf16_keeps_every_record(self, tmp_path: Path) -> None:
        lines = [json.dumps({"id": str(n), "body": f"Record {n} in Zürich."}) for n in range(3)]
        path = tmp_path / "feed.jsonl"
        path.write_bytes("\n".join(lines).encode("utf-16"))
        docs = read(path)
        assert [d.source_id for d in docs if isinstance(d, RawArticle)] == ["0", "1", "2"]

    def test_binary_error_names_the_right_byte(self, tmp_path: Path) -> None:
        path = tmp_path / "e.txt"
        path.write_bytes(b"abcdefgh\x00rest")
        [error] = read(path)
        assert isinstance(error, RecordError)
        assert error.reason == "binary content (a NUL byte at byte 8): this is not a text file"

    def test_mojibake_is_repaired(self, tmp_path: Path, engine: Engine, blank_model: str) -> None:
        path = tmp_path / "m.jsonl"
        body = "Gerhard Schröder met the délégation on Monday: “We agree,” he said."
        # "SchrÃ¶der", "â€œWe": bytes cp1252 leaves undefined (0x9D) pass through as Latin-1
        broken = "".join(
            bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in body.encode()
        )
        path.write_text(json.dumps({"id": "m", "body": broken}), encoding="utf-8")
        ingest([path], engine=engine, model=blank_model)
        assert rows(engine, "SELECT body FROM article") == [(body,)]

    def test_a_stray_cp1252_byte_late_in_utf8_jsonl(self, tmp_path: Path) -> None:
        """The encoding is chosen from the first block; a later non-UTF-8 byte is Windows-1252."""
        first = [json.dumps({"id": str(n), "body": "Plain ASCII text " * 10}) for n in range(500)]
        last = b'{"id": "p", "body": "It cost \xa35m, he said."}'
        path = tmp_path / "late.jsonl"
        path.write_bytes("\n".join(first).encode() + b"\n" + last)
        docs = read(path)
        assert isinstance(docs[-1], RawArticle) and docs[-1].body == "It cost £5m, he said."


class TestTypes:
    @pytest.mark.parametrize(
        ("record", "reason"),
        [
            ({"id": "a", "title": ["a", "b"], "body": "Text."}, "field 'title': "),
            ({"id": ["x"], "body": "Text."}, "field 'id': "),
            ({"id": "b", "body": 42}, "field 'body': Input should be a valid string"),
            ({"id": "c", "Headline": {"x": 1}, "body": "Text."}, "field 'Headline': "),
            ({"id": "d", "body": "Text.", "date": 20200101}, "field 'date': expected an ISO"),
        ],
    )
    def test_a_wrong_type_is_reported_with_its_field(
        self, tmp_path: Path, record: dict[str, object], reason: str
    ) -> None:
        path = tmp_path / "f.jsonl"
        path.write_text(json.dumps(record), encoding="utf-8")
        [error] = read(path)
        assert isinstance(error, RecordError) and error.reason.startswith(reason), error

    def test_a_numeric_id_is_text(self, tmp_path: Path) -> None:
        path = tmp_path / "f.json"
        path.write_text(json.dumps({"id": 42, "body": "Text."}), encoding="utf-8")
        [doc] = read(path)
        assert isinstance(doc, RawArticle) and doc.source_id == "42"


def test_html_saved_as_txt_is_read_as_a_page(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(PAGE, encoding="utf-8")
    [doc] = read(path)
    assert isinstance(doc, RawArticle)
    assert doc.title == "Harbour wall gives way in storm"
    assert doc.body.startswith("The old harbour wall at Kelby collapsed")
    assert "<" not in doc.body and "tracking" not in doc.body and "Home" not in doc.body


def test_a_one_character_body_is_refused(tmp_path: Path, engine: Engine, blank_model: str) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(
        json.dumps({"id": "x", "body": "x"}) + "\n" + json.dumps({"id": "y", "body": "Real."}),
        encoding="utf-8",
    )
    report = ingest([path], engine=engine, model=blank_model)
    assert (report.added, report.failed) == (0, 2)
    assert "body too short to be an article (1 character(s)" in str(report.errors[0])


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "empty.txt", "empty.json"])
def test_an_empty_file_is_reported(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    [error] = read(path)
    assert isinstance(error, RecordError) and error.reason == "no records: the file is empty"


class TestStreamedJsonArray:
    def test_items_across_chunk_boundaries(self, tmp_path: Path) -> None:
        items = [{"id": str(n), "body": f"Body {n} " + "é" * (n * 97 % 4000)} for n in range(300)]
        path = tmp_path / "big.json"
        path.write_text(json.dumps(items, indent=1), encoding="utf-8")
        docs = read(path)
        assert [d.source_id for d in docs if isinstance(d, RawArticle)] == [
            str(n) for n in range(300)
        ]

    def test_a_broken_item_names_its_line(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.json"
        path.write_text('[\n {"body": "Good one."},\n {"body": oops}\n]', encoding="utf-8")
        good, error = read(path)
        assert isinstance(good, RawArticle)
        assert isinstance(error, RecordError) and error.line == 3 and "invalid JSON" in error.reason


def test_csv_rows_with_extra_cells_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,body\na,First text.\nb,Second text.,surplus\nc\n", encoding="utf-8")
    first, extra, missing = read(path)
    assert isinstance(first, RawArticle)
    assert isinstance(extra, RecordError) and extra.line == 3 and "more cell" in extra.reason
    assert (
        isinstance(missing, RecordError) and missing.line == 4 and "missing body" in missing.reason
    )


@pytest.mark.parametrize("name", ["big.jsonl", "big.json", "big.csv"])
def test_a_big_file_is_streamed_not_read_whole(tmp_path: Path, name: str) -> None:
    """Python-level memory while reading 8 MB stays far below the file's size (reading it whole
    held the bytes, the decoded text and the split lines: over 3 times the size)."""
    body = "The harbour board met on Monday and approved the plan for the new wall. " * 30
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        if name.endswith(".csv"):
            handle.write("id,body\n")
        elif name.endswith(".json"):
            handle.write("[\n")
        n = 0
        while handle.tell() < 8 * 2**20:
            if name.endswith(".csv"):
                handle.write(f"r{n},{body}\n")
            else:
                separator = ",\n" if name.endswith(".json") and n else ""
                handle.write(separator + json.dumps({"id": f"r{n}", "body": body}))
                handle.write("" if name.endswith(".json") else "\n")
            n += 1
        if name.endswith(".json"):
            handle.write("\n]\n")
    tracemalloc.start()
    try:
        records = iter_documents(path, path.parent)
        seen = sum(1 for record in records if isinstance(record, RawArticle))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == n
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MiB while reading an 8 MiB file"


def test_a_page_in_a_json_body_is_read_as_a_page(tmp_path: Path) -> None:
    path = tmp_path / "scraped.jsonl"
    path.write_text(json.dumps({"id": "s1", "author": "Desk", "body": PAGE}), encoding="utf-8")
    [doc] = read(path)
    assert isinstance(doc, RawArticle) and doc.source_id == "s1" and doc.author == "Desk"
    assert doc.title == "Harbour wall gives way in storm"
    assert doc.body.startswith("The old harbour wall at Kelby") and "<" not in doc.body


def test_a_record_not_a_page_in_its_body_names_the_article(tmp_path: Path) -> None:
    canonical = PAGE.replace("<head>", '<head><link rel="canonical" href="https://ex.org/">')
    path = tmp_path / "scraped.jsonl"
    path.write_text(json.dumps({"body": canonical}) + "\n" + json.dumps({"body": canonical}))
    first, second = read(path)
    assert isinstance(first, RawArticle) and isinstance(second, RawArticle)
    assert (first.source_id, second.source_id) == ("scraped:1", "scraped:2")
    assert first.url == "https://ex.org/"  # kept as the article's URL all the same
