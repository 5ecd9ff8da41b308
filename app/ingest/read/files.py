"""One reader per file format, each turning a file into ``RawArticle`` records or
``RecordError``s. Files are streamed: a multi-record file is never read whole.

CSV and JSON fields map as follows (header names ignore case): ``id`` → source_id, ``title``,
``body`` or ``text`` → body, ``published`` or ``date``, ``source``, ``url``, ``author``.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import frontmatter

from app.ingest.read.fetch import Web
from app.ingest.read.mapping import feed_records, from_mapping, page_record
from app.ingest.read.pages import looks_like_html
from app.ingest.read.textio import BinaryContent, iter_lines, open_text, read_limited
from app.ingest.record import FIELD_ALIASES, JSON_DECODER, ReadResult, RecordError, loads_json

_MAX_HEADING_LENGTH = 150
# a one-document file (.txt, .html, a feed, a single JSON object) is decoded whole, so its
# size is capped; record-per-line files have no cap
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# one JSON array item, or one JSONL line, larger than this is refused rather than buffered
MAX_RECORD_CHARS = 64 * 1024 * 1024
_JSON_CHUNK = 1 << 16


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for each file, walking folders recursively in sorted order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, path
        else:
            yield path, path.parent


def iter_documents(path: Path, root: Path, web: Web | None = None) -> Iterator[ReadResult]:
    """Parse one file with the reader its suffix selects; never raises for bad input."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        yield RecordError(f"unknown file extension {path.suffix or '(none)'!r}", path=str(path))
        return
    default_id = path.relative_to(root).with_suffix("").as_posix()
    found = False
    try:
        for record in reader(path, default_id, web or Web()):
            found = True
            yield record
    except (OSError, BinaryContent, ValueError) as exc:
        yield RecordError(str(exc), path=str(path))
        return
    if not found:
        yield RecordError("no records: the file is empty", path=str(path))


def read_url_list(path: Path) -> Iterator[str]:
    """URLs one per line; blank lines and ``#`` comments skipped."""
    with open_text(path) as handle:
        for _, line in iter_lines(handle):
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def count_documents(path: Path) -> int:
    """A cheap estimate of how many records a file holds, for the progress bar."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if suffix == ".csv":
        with path.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 1)  # multi-line cells make this an upper bound
    return 1


def read_jsonl(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    with open_text(path) as handle:
        for number, line in iter_lines(handle):
            if not line.strip():
                continue
            if len(line) > MAX_RECORD_CHARS:
                yield RecordError(
                    f"line longer than {MAX_RECORD_CHARS} chars", path=str(path), line=number
                )
                continue
            try:
                record = loads_json(line)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
                yield RecordError(reason, path=str(path), line=number)
                continue
            yield from_mapping(str(path), number, record, f"{default_id}:{number}")


def read_json(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    """One object, or an array of objects parsed item by item as the file streams in."""
    with open_text(path) as handle:
        buffer = handle.read(_JSON_CHUNK)
        if not buffer.strip():
            return
        start = len(buffer) - len(buffer.lstrip())
        if not buffer[start:].startswith("["):
            rest = handle.read(MAX_DOCUMENT_BYTES)
            if handle.read(1):
                raise ValueError(f"a single JSON object over {MAX_DOCUMENT_BYTES} chars")
            try:
                data = loads_json(buffer + rest)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
                yield RecordError(reason, path=str(path), line=exc.lineno)
                return
            yield from_mapping(str(path), 1, data, default_id)
            return
        for number, item in enumerate(_iter_array(handle, buffer, start + 1), start=1):
            if isinstance(item, RecordError):
                yield RecordError(item.reason, path=str(path), line=item.line)
                return
            yield from_mapping(str(path), number, item, f"{default_id}:{number}")


def _iter_array(handle: io.TextIOWrapper, buffer: str, pos: int) -> Iterator[Any]:
    """Items of a JSON array whose ``[`` ends at ``pos``, decoding one item at a time and
    reading more only when an item is cut by the end of the buffer."""
    line = 1 + buffer.count("\n", 0, pos)
    eof = False
    expect_value = True
    while True:
        while True:  # skip whitespace and one separator
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or eof:
                break
            line += buffer.count("\n", 0, pos)
            buffer, pos = buffer[pos:] + handle.read(_JSON_CHUNK), 0
            eof = pos >= len(buffer)
        if pos >= len(buffer):
            yield RecordError("invalid JSON: unclosed [", line=line + buffer.count("\n", 0, pos))
            return
        char = buffer[pos]
        if char == "]":
            return
        if not expect_value:
            if char != ",":
                where = line + buffer.count("\n", 0, pos)
                yield RecordError("invalid JSON: expected ',' or ']' between items", line=where)
                return
            pos += 1
            expect_value = True
            continue
        try:
            try:
                item, end = JSON_DECODER.raw_decode(buffer, pos)
            except RecursionError:
                raise json.JSONDecodeError("nested too deeply", buffer, pos) from None
            if end >= len(buffer) and not eof:
                raise json.JSONDecodeError("cut", buffer, end)  # a number may go on
        except json.JSONDecodeError as exc:
            if eof or len(buffer) - pos > MAX_RECORD_CHARS:
                where = line + buffer.count("\n", 0, max(exc.pos, pos))
                yield RecordError(f"invalid JSON: {exc.msg}", line=where)
                return
            line += buffer.count("\n", 0, pos)
            more = handle.read(max(_JSON_CHUNK, len(buffer)))
            eof = not more
            buffer, pos = buffer[pos:] + more, 0
            continue
        yield item
        expect_value = False
        line += buffer.count("\n", 0, end)
        buffer, pos = buffer[end:], 0


def read_csv(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        fields = [FIELD_ALIASES.get(f.strip().lower()) for f in reader.fieldnames or []]
        if not reader.fieldnames:
            return
        if "body" not in fields:
            yield RecordError(
                "CSV header has no 'body', 'text' or 'content' column", path=str(path), line=1
            )
            return
        line = 2
        try:
            for row in reader:
                if None in row:  # DictReader puts the cells beyond the header under None
                    extra = len(row.pop(None) or [])
                    reason = f"{extra} more cell(s) than the header's {len(fields)} columns"
                    yield RecordError(reason, path=str(path), line=line)
                else:
                    yield from_mapping(str(path), line, row, f"{default_id}:{line}")
                line = reader.line_num + 1
        except csv.Error as exc:
            yield RecordError(f"invalid CSV: {exc}", path=str(path), line=reader.line_num)


def read_text(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    """Plain text or Markdown, with optional YAML front matter; a short first line is the title.
    A file whose content is an HTML page (saved as .txt) is read as a page."""
    text = read_limited(path, MAX_DOCUMENT_BYTES)
    if not text.strip():
        return
    if looks_like_html(text):
        yield page_record(str(path), 1, text, None, default_id)
        return
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser raises many types
        yield RecordError(f"invalid front matter: {exc}", path=str(path), line=1)
        return
    content = post.content.strip("\n")
    title, body = _split_heading(content)
    metadata = {**post.metadata, "body": body}
    if title and not any(FIELD_ALIASES.get(str(k).lower()) == "title" for k in metadata):
        metadata["title"] = title
    yield from_mapping(str(path), 1, metadata, default_id)


def read_html(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    text = read_limited(path, MAX_DOCUMENT_BYTES)
    if text.strip():
        yield page_record(str(path), 1, text, None, default_id)


def read_feed(path: Path, default_id: str, web: Web) -> Iterator[ReadResult]:
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise ValueError(f"feed larger than {MAX_DOCUMENT_BYTES} bytes")
    yield from feed_records(str(path), path.read_bytes(), web)


def _split_heading(content: str) -> tuple[str | None, str]:
    """A first line that reads like a heading: short, no sentence punctuation, text after it."""
    first, _, rest = content.partition("\n")
    heading = first.strip().lstrip("#").strip()
    if (
        rest.strip()
        and heading
        and len(heading) <= _MAX_HEADING_LENGTH
        and heading[-1] not in ".,;:"
        and (first.lstrip().startswith("#") or rest.startswith("\n") or len(heading.split()) <= 12)
    ):
        return heading, rest.strip("\n")
    return None, content


_READERS: dict[str, Callable[[Path, str, Web], Iterator[ReadResult]]] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".html": read_html,
    ".htm": read_html,
    ".rss": read_feed,
    ".atom": read_feed,
    ".xml": read_feed,
}
