"""One reader per input format, each turning a file into ``RawArticle`` records or ``SourceError``s.

CSV and JSON fields map as follows (header names ignore case): ``id`` → source_id, ``title``,
``body`` or ``text`` → body, ``published`` or ``date``, ``source``, ``url``, ``author``.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import frontmatter
from charset_normalizer import from_bytes

_FIELD_ALIASES = {
    "id": "id",
    "source_id": "id",
    "title": "title",
    "headline": "title",
    "body": "body",
    "text": "body",
    "content": "body",
    "published": "published",
    "date": "published",
    "published_at": "published",
    "source": "source",
    "url": "url",
    "link": "url",
    "author": "author",
    "byline": "author",
}
_MAX_HEADING_LENGTH = 150


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
    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


Record = RawArticle | SourceError


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for each file, walking folders recursively in sorted order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, path
        else:
            yield path, path.parent


def iter_documents(path: Path, root: Path) -> Iterator[Record]:
    """Parse one file with the reader its suffix selects; never raises for bad input."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        yield SourceError(str(path), None, f"unknown file extension {path.suffix or '(none)'!r}")
        return
    try:
        text = decode(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        yield SourceError(str(path), None, str(exc))
        return
    default_id = path.relative_to(root).with_suffix("").as_posix()
    yield from reader(str(path), text, default_id)


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


def decode(data: bytes) -> str:
    """UTF-8 when valid; mostly-ASCII text as Windows-1252; else what charset-normalizer detects.

    A few stray bytes in English text (a lone 0xA3 for £) are too little evidence for a
    detector, and Windows-1252 is what the web means by Latin-1:
    https://encoding.spec.whatwg.org/#names-and-labels
    """
    if b"\x00" in data:
        raise UnicodeDecodeError("binary", data, 0, 1, "NUL bytes: this is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        non_ascii = sum(byte > 0x7F for byte in data)
        if non_ascii <= len(data) // 50:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        best = from_bytes(data).best()
        if best is None:
            raise UnicodeDecodeError(
                exc.encoding, exc.object, exc.start, exc.end, "undecodable bytes"
            ) from exc
        return str(best)


def parse_date(value: Any) -> date | None:
    """ISO 8601 date or date-time (converted to UTC); empty means unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"published date {text!r} is not ISO 8601 (YYYY-MM-DD)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def _from_mapping(path: str, line: int, record: Any, default_id: str) -> Record:
    if not isinstance(record, dict):
        return SourceError(path, line, f"expected an object, got {type(record).__name__}")
    fields: dict[str, Any] = {}
    for key, value in record.items():
        field = _FIELD_ALIASES.get(str(key).strip().lower())
        if field and value not in (None, "") and field not in fields:
            fields[field] = value
    body = fields.get("body")
    if not isinstance(body, str) or not body.strip():
        return SourceError(path, line, "missing body (expected a 'body' or 'text' field)")
    try:
        published = parse_date(fields.get("published"))
    except ValueError as exc:
        return SourceError(path, line, str(exc))

    def text_field(name: str) -> str | None:
        value = fields.get(name)
        return str(value).strip() or None if value is not None else None

    return RawArticle(
        path=path,
        line=line,
        source_id=text_field("id") or text_field("url") or default_id,
        title=text_field("title"),
        body=body,
        published=published,
        source=text_field("source"),
        url=text_field("url"),
        author=text_field("author"),
    )


def read_jsonl(path: str, text: str, default_id: str) -> Iterator[Record]:
    # split on "\n" only: str.splitlines() would also break inside strings at U+2028
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield _from_mapping(path, number, record, f"{default_id}:{number}")


def read_json(path: str, text: str, default_id: str) -> Iterator[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield SourceError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")
        return
    if isinstance(data, list):
        for number, record in enumerate(data, start=1):
            yield _from_mapping(path, number, record, f"{default_id}:{number}")
    else:
        yield _from_mapping(path, 1, data, default_id)


def read_csv(path: str, text: str, default_id: str) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [_FIELD_ALIASES.get(f.strip().lower()) for f in reader.fieldnames or []]
    if "body" not in fields:
        yield SourceError(path, 1, "CSV header has no 'body', 'text' or 'content' column")
        return
    line = 2
    try:
        for row in reader:
            yield _from_mapping(path, line, row, f"{default_id}:{line}")
            line = reader.line_num + 1
    except csv.Error as exc:
        yield SourceError(path, reader.line_num, f"invalid CSV: {exc}")


def read_text(path: str, text: str, default_id: str) -> Iterator[Record]:
    """Plain text or Markdown, with optional YAML front matter; a short first line is the title."""
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser raises many types
        yield SourceError(path, 1, f"invalid front matter: {exc}")
        return
    content = post.content.strip("\n")
    title, body = _split_heading(content)
    metadata = {**post.metadata, "body": body}
    if title and not any(_FIELD_ALIASES.get(str(k).lower()) == "title" for k in metadata):
        metadata["title"] = title
    yield _from_mapping(path, 1, metadata, default_id)


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


_READERS: dict[str, Callable[[str, str, str], Iterator[Record]]] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
}
