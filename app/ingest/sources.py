"""One reader per input format, each turning a file (or a URL) into ``RawArticle`` records or
``SourceError``s. Files are streamed: a multi-record file is never read whole.

CSV and JSON fields map as follows (header names ignore case): ``id`` → source_id, ``title``,
``body`` or ``text`` → body, ``published`` or ``date``, ``source``, ``url``, ``author``.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import frontmatter
import httpx

from app.ingest.records import (
    FIELD_ALIASES,
    ArticleRecord,
    RecordError,
    parse_date,
    validate_record,
)
from app.ingest.textio import BinaryContent, iter_lines, open_text, read_limited
from app.ingest.web import (
    FetchError,
    FetchSettings,
    extract_page,
    fetch_all,
    looks_like_feed,
    looks_like_html,
    make_client,
    parse_feed,
)

__all__ = ["RawArticle", "SourceError", "Record", "iter_documents", "iter_files", "parse_date"]

_MAX_HEADING_LENGTH = 150
# a one-document file (.txt, .html, a feed, a single JSON object) is decoded whole, so its
# size is capped; record-per-line files have no cap
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# one JSON array item, or one JSONL line, larger than this is refused rather than buffered
MAX_RECORD_CHARS = 64 * 1024 * 1024
_JSON_CHUNK = 1 << 16


@dataclass(frozen=True)
class RawArticle:
    path: str
    line: int  # 1-based line (or item number in a JSON array) where the record starts
    source_id: str
    title: str | None
    body: str
    published: date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class SourceError:
    path: str  # a file or a URL
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


Record = RawArticle | SourceError


class Web:
    """The HTTP client for URLs and for feed items that need their page, made on first use."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._client: httpx.Client | None = None

    def fetch_all(self, urls: Iterable[str]) -> Iterator[tuple[str, Any]]:
        if self._client is None:
            self._client = make_client(self.settings)
        return fetch_all(urls, self.settings, self._client)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for each file, walking folders recursively in sorted order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, path
        else:
            yield path, path.parent


def iter_documents(path: Path, root: Path, web: Web | None = None) -> Iterator[Record]:
    """Parse one file with the reader its suffix selects; never raises for bad input."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        yield SourceError(str(path), None, f"unknown file extension {path.suffix or '(none)'!r}")
        return
    default_id = path.relative_to(root).with_suffix("").as_posix()
    found = False
    try:
        for record in reader(path, default_id, web or Web()):
            found = True
            yield record
    except (OSError, BinaryContent, ValueError) as exc:
        yield SourceError(str(path), None, str(exc))
        return
    if not found:
        yield SourceError(str(path), None, "no records: the file is empty")


def iter_urls(urls: Iterable[str], web: Web) -> Iterator[Record]:
    """Fetch each URL (a page or a feed) and extract its articles; a failure is reported by URL."""
    for url, result in web.fetch_all(urls):
        if isinstance(result, FetchError):
            yield SourceError(url, None, str(result))
        elif (
            looks_like_feed(result.text)
            or "xml" in result.content_type
            and "html" not in (result.content_type)
        ):
            yield from _feed_records(url, result.text.encode(), web)
        else:
            yield _page_record(url, 1, result.text, result.final_url, default_id=result.final_url)


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


def _from_mapping(path: str, line: int, record: Any, default_id: str) -> Record:
    try:
        valid = validate_record(record)
    except RecordError as exc:
        return SourceError(path, line, str(exc))
    return raw_article(valid, path, line, default_id)


def raw_article(valid: ArticleRecord, path: str, line: int, default_id: str) -> Record:
    """The article of a validated record, from any input (a file's line, an API request). The
    record names it (its id, else its url, else ``default_id``), never a page in its body:
    pages of one site can share a canonical URL."""
    source_id = valid.id or valid.url or default_id
    if looks_like_html(valid.body):
        # a whole page in a record's body (a scraper's export): its article, not its markup;
        # the record's own fields win over what the page says about itself
        try:
            page = extract_page(valid.body, valid.url)
        except Exception as exc:  # lxml and the extractor raise many types on broken markup
            return SourceError(path, line, f"unreadable HTML in the body: {exc}")
        if page is None:
            return SourceError(path, line, "the body is an HTML page with no article text")
        fields = {k: v for k, v in valid.model_dump().items() if v is not None}
        try:
            valid = validate_record({**page, **fields, "body": page["body"]})
        except RecordError as exc:
            return SourceError(path, line, f"in the page: {exc}")
    return RawArticle(
        path=path,
        line=line,
        source_id=source_id,
        title=valid.title,
        body=valid.body,
        published=valid.published,
        source=valid.source,
        url=valid.url,
        author=valid.author,
    )


def read_jsonl(path: Path, default_id: str, web: Web) -> Iterator[Record]:
    with open_text(path) as handle:
        for number, line in iter_lines(handle):
            if not line.strip():
                continue
            if len(line) > MAX_RECORD_CHARS:
                yield SourceError(str(path), number, f"line longer than {MAX_RECORD_CHARS} chars")
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
                yield SourceError(str(path), number, reason)
                continue
            yield _from_mapping(str(path), number, record, f"{default_id}:{number}")


def read_json(path: Path, default_id: str, web: Web) -> Iterator[Record]:
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
                data = json.loads(buffer + rest)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
                yield SourceError(str(path), exc.lineno, reason)
                return
            yield _from_mapping(str(path), 1, data, default_id)
            return
        for number, item in enumerate(_iter_array(handle, buffer, start + 1), start=1):
            if isinstance(item, SourceError):
                yield SourceError(str(path), item.line, item.reason)
                return
            yield _from_mapping(str(path), number, item, f"{default_id}:{number}")


def _iter_array(handle: io.TextIOWrapper, buffer: str, pos: int) -> Iterator[Any]:
    """Items of a JSON array whose ``[`` ends at ``pos``, decoding one item at a time and
    reading more only when an item is cut by the end of the buffer."""
    decoder = json.JSONDecoder()
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
            yield SourceError("", line + buffer.count("\n", 0, pos), "invalid JSON: unclosed [")
            return
        char = buffer[pos]
        if char == "]":
            return
        if not expect_value:
            if char != ",":
                where = line + buffer.count("\n", 0, pos)
                yield SourceError("", where, "invalid JSON: expected ',' or ']' between items")
                return
            pos += 1
            expect_value = True
            continue
        try:
            item, end = decoder.raw_decode(buffer, pos)
            if end >= len(buffer) and not eof:
                raise json.JSONDecodeError("cut", buffer, end)  # a number may go on
        except json.JSONDecodeError as exc:
            if eof or len(buffer) - pos > MAX_RECORD_CHARS:
                where = line + buffer.count("\n", 0, max(exc.pos, pos))
                yield SourceError("", where, f"invalid JSON: {exc.msg}")
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


def read_csv(path: Path, default_id: str, web: Web) -> Iterator[Record]:
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        fields = [FIELD_ALIASES.get(f.strip().lower()) for f in reader.fieldnames or []]
        if not reader.fieldnames:
            return
        if "body" not in fields:
            yield SourceError(str(path), 1, "CSV header has no 'body', 'text' or 'content' column")
            return
        line = 2
        try:
            for row in reader:
                if None in row:  # DictReader puts the cells beyond the header under None
                    extra = len(row.pop(None) or [])
                    reason = f"{extra} more cell(s) than the header's {len(fields)} columns"
                    yield SourceError(str(path), line, reason)
                else:
                    yield _from_mapping(str(path), line, row, f"{default_id}:{line}")
                line = reader.line_num + 1
        except csv.Error as exc:
            yield SourceError(str(path), reader.line_num, f"invalid CSV: {exc}")


def read_text(path: Path, default_id: str, web: Web) -> Iterator[Record]:
    """Plain text or Markdown, with optional YAML front matter; a short first line is the title.
    A file whose content is an HTML page (saved as .txt) is read as a page."""
    text = read_limited(path, MAX_DOCUMENT_BYTES)
    if not text.strip():
        return
    if looks_like_html(text):
        yield _page_record(str(path), 1, text, None, default_id)
        return
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser raises many types
        yield SourceError(str(path), 1, f"invalid front matter: {exc}")
        return
    content = post.content.strip("\n")
    title, body = _split_heading(content)
    metadata = {**post.metadata, "body": body}
    if title and not any(FIELD_ALIASES.get(str(k).lower()) == "title" for k in metadata):
        metadata["title"] = title
    yield _from_mapping(str(path), 1, metadata, default_id)


def read_html(path: Path, default_id: str, web: Web) -> Iterator[Record]:
    text = read_limited(path, MAX_DOCUMENT_BYTES)
    if text.strip():
        yield _page_record(str(path), 1, text, None, default_id)


def read_feed(path: Path, default_id: str, web: Web) -> Iterator[Record]:
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise ValueError(f"feed larger than {MAX_DOCUMENT_BYTES} bytes")
    yield from _feed_records(str(path), path.read_bytes(), web)


def _page_record(where: str, line: int, html: str, url: str | None, default_id: str) -> Record:
    try:
        fields = extract_page(html, url)
    except Exception as exc:  # lxml and the extractor raise many types on broken markup
        return SourceError(where, line, f"unreadable HTML: {type(exc).__name__}: {exc}")
    if fields is None:
        return SourceError(where, line, "no article text found in the page")
    return _from_mapping(where, line, fields, default_id)


def _feed_records(where: str, data: bytes, web: Web) -> Iterator[Record]:
    """Each item of a feed; an item with only a summary is completed from its own page."""
    items, error = parse_feed(data)
    if error:
        yield SourceError(where, None, error)
        return
    to_fetch = []
    for item in items:
        if "body" in item.fields:
            yield _from_mapping(where, item.number, item.fields, f"{where}#{item.number}")
        elif item.link and is_url(item.link):
            to_fetch.append(item)
        else:
            yield SourceError(where, item.number, "feed item has no content and no link")
    by_link = {item.link: item for item in to_fetch}
    for link, result in web.fetch_all(item.link for item in to_fetch if item.link):
        item = by_link[link]
        if isinstance(result, FetchError):
            yield SourceError(where, item.number, f"item page {link}: {result}")
            continue
        try:
            page = extract_page(result.text, result.final_url)
        except Exception as exc:  # lxml and the extractor raise many types on broken markup
            yield SourceError(where, item.number, f"item page {link}: unreadable HTML: {exc}")
            continue
        if page is None:
            yield SourceError(where, item.number, f"item page {link}: no article text found")
            continue
        # the feed's own metadata wins over what the page says about itself
        fields = {**page, **{k: v for k, v in item.fields.items() if v}}
        yield _from_mapping(where, item.number, fields, link)


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


_READERS: dict[str, Callable[[Path, str, Web], Iterator[Record]]] = {
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
