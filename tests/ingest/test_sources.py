"""One reader per format, and every way a record can be bad, each with its file and line."""

import json
from datetime import date
from pathlib import Path

import pytest

from app.ingest.read import iter_documents, iter_files
from app.ingest.record import RawArticle, RecordError, parse_date


def read(path: Path) -> list[RawArticle | RecordError]:
    return list(iter_documents(path, path.parent))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


class TestText:
    def test_heading_line_is_the_title(self, tmp_path: Path) -> None:
        [doc] = read(write(tmp_path, "a.txt", "Floods close roads\n\nRain fell all week.\n"))
        assert isinstance(doc, RawArticle)
        assert doc.title == "Floods close roads" and doc.body == "Rain fell all week."
        assert doc.source_id == "a"

    def test_no_heading_leaves_the_title_to_the_lead(self, tmp_path: Path) -> None:
        text = "Rain fell all week in the valley, and the river rose. Roads closed.\n"
        [doc] = read(write(tmp_path, "b.txt", text))
        assert isinstance(doc, RawArticle) and doc.title is None and doc.body == text.strip()

    def test_markdown_with_front_matter(self, tmp_path: Path) -> None:
        text = (
            "---\nid: story-7\npublished: 2021-03-04\nauthor: Kim Lee\nsource: Gazette\n---\n"
            "# Bridge opens\n\nThe bridge opened on Monday.\n"
        )
        [doc] = read(write(tmp_path, "c.md", text))
        assert isinstance(doc, RawArticle)
        assert (doc.source_id, doc.title, doc.author, doc.source) == (
            "story-7",
            "Bridge opens",
            "Kim Lee",
            "Gazette",
        )
        assert doc.published == date(2021, 3, 4) and doc.body == "The bridge opened on Monday."

    def test_front_matter_id_aliases_and_url_fallback(self, tmp_path: Path) -> None:
        [doc] = read(write(tmp_path, "a.md", "---\nSource_ID: wire-9\n---\nHeading\n\nText."))
        assert isinstance(doc, RawArticle) and doc.source_id == "wire-9"
        [doc] = read(write(tmp_path, "b.md", "---\nlink: https://ex.org/b\n---\nText body."))
        assert isinstance(doc, RawArticle) and doc.source_id == "https://ex.org/b"

    def test_cp1252_is_detected(self, tmp_path: Path) -> None:
        text = "Transfer fee\n\nThe club paid \u00a35m for the striker, fans said.\n"
        [doc] = read(write(tmp_path, "d.txt", text.encode("cp1252")))
        assert isinstance(doc, RawArticle) and "\u00a35m" in doc.body

    def test_binary_file_is_rejected(self, tmp_path: Path) -> None:
        [error] = read(write(tmp_path, "e.txt", b"\x89PNG\x00\x00\x01"))
        assert isinstance(error, RecordError) and "not a text file" in error.reason

    def test_id_is_the_path_below_the_folder(self, tmp_path: Path) -> None:
        write(tmp_path, "sport/001.txt", "Title\n\nBody text.")
        write(tmp_path, "tech/001.txt", "Title\n\nOther text.")
        write(tmp_path, ".hidden/x.txt", "Ignored\n\nText.")
        found = [iter_documents(f, root) for f, root in iter_files([tmp_path])]
        ids = [doc.source_id for docs in found for doc in docs if isinstance(doc, RawArticle)]
        assert ids == ["sport/001", "tech/001"]


class TestJson:
    def test_object_and_array(self, tmp_path: Path) -> None:
        one = {"id": "x1", "title": "T", "body": "B.", "published": "2020-02-03T10:00:00Z"}
        [doc] = read(write(tmp_path, "one.json", json.dumps(one)))
        assert isinstance(doc, RawArticle) and doc.published == date(2020, 2, 3)
        many = [{"title": "A", "text": "First."}, {"title": "B", "body": ""}]
        first, second = read(write(tmp_path, "many.json", json.dumps(many)))
        assert isinstance(first, RawArticle) and first.source_id == "many:1"
        assert (
            isinstance(second, RecordError) and second.line == 2 and "missing body" in second.reason
        )

    def test_jsonl_reports_bad_lines_and_keeps_the_rest(self, tmp_path: Path) -> None:
        lines = [
            json.dumps({"id": "a", "body": "Fine."}),
            "{not json",
            "",
            json.dumps(["a list"]),
            json.dumps({"id": "b", "body": "Fine too.", "date": "March 3"}),
            json.dumps({"id": "c", "text": "Also fine.\u2028Still the same line."}),
        ]
        records = read(write(tmp_path, "feed.ndjson", "\n".join(lines)))
        good = [r.source_id for r in records if isinstance(r, RawArticle)]
        bad = [(r.line, r.reason) for r in records if isinstance(r, RecordError)]
        assert good == ["a", "c"]
        assert [line for line, _ in bad] == [2, 4, 5]
        assert "invalid JSON" in bad[0][1] and "expected an object" in bad[1][1]
        assert "not ISO 8601" in bad[2][1]

    def test_whole_file_invalid_json(self, tmp_path: Path) -> None:
        [error] = read(write(tmp_path, "bad.json", '{"title": "x",\n  oops}'))
        assert isinstance(error, RecordError) and error.line == 2


class TestCsv:
    def test_columns_map_and_multiline_cells_keep_line_numbers(self, tmp_path: Path) -> None:
        text = (
            "url,date,title,text\n"
            'https://ex.org/1,2019-01-04,"First, story","Line one.\n\nLine two."\n'
            "https://ex.org/2,2019-01-05,Second,\n"
            "https://ex.org/3,2019-01-06,Third,Body three.\n"
        )
        first, missing, third = read(write(tmp_path, "export.csv", text))
        assert isinstance(first, RawArticle) and first.source_id == "https://ex.org/1"
        assert first.title == "First, story" and first.published == date(2019, 1, 4)
        assert first.body == "Line one.\n\nLine two." and first.url == "https://ex.org/1"
        assert isinstance(missing, RecordError) and missing.line == 5
        assert isinstance(third, RawArticle) and third.line == 6

    def test_header_aliases(self, tmp_path: Path) -> None:
        text = "Headline,Content,Byline,Published_At\nBig news,It happened.,Kim,2020-03-04\n"
        [doc] = read(write(tmp_path, "y.csv", text))
        assert isinstance(doc, RawArticle)
        assert (doc.title, doc.body, doc.author) == ("Big news", "It happened.", "Kim")
        assert doc.published == date(2020, 3, 4)

    def test_header_without_a_body_column(self, tmp_path: Path) -> None:
        [error] = read(write(tmp_path, "x.csv", "id,title\n1,T\n"))
        assert isinstance(error, RecordError)
        assert "no 'body', 'text' or 'content' column" in error.reason


def test_unknown_extension(tmp_path: Path) -> None:
    [error] = read(write(tmp_path, "notes.docx", b"PK"))
    assert isinstance(error, RecordError) and "unknown file extension" in error.reason
    assert str(error) == f"{tmp_path / 'notes.docx'}: unknown file extension '.docx'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-02", date(2020, 1, 2)),
        ("2020-01-02T23:30:00-05:00", date(2020, 1, 3)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: date | None) -> None:
    assert parse_date(value) == expected
