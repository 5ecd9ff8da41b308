"""The record stage: one article's fields as any source gives them (a JSON object, a CSV row, front
matter, a page's metadata), validated with pydantic so that a wrong type is refused with its
field's name instead of being stored as a Python repr; the one record type (``RawArticle``) and
the one error type (``RecordError``) that every later stage passes on."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
)

# the longest value of each field (characters); past it, a record is refused naming the field
MAX_ID_CHARS = 512
MAX_TITLE_CHARS = 2_000
MAX_NAME_CHARS = 1_000  # source and author
MAX_URL_CHARS = 4_096
# Python refuses to turn longer digit strings into an int (CVE-2020-10735); JSON numbers that
# long are kept as text, so that the field they are in is named in the error
_MAX_INT_DIGITS = 4_300

# field names as sources spell them (case ignored) → the record's field
FIELD_ALIASES = {
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


def parse_date(value: Any) -> date | None:
    """ISO 8601 date or date-time (converted to UTC); empty means unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date as text, got {type(value).__name__}")
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"published date {text!r:.80} is not ISO 8601 (YYYY-MM-DD)") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-12:00 is past the last UTC date
            raise ValueError(f"published date {text!r:.80} is out of range in UTC") from None
    return moment.date()


@dataclass(frozen=True)
class LongNumber:
    """A JSON integer with more digits than Python converts: a number, kept as its digits."""

    digits: str


def _id_text(value: Any) -> Any:
    """An id may be a number in JSON (42 → "42"); a list or object stays a type error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, LongNumber):
        return value.digits
    return value


def _storable(value: str | None) -> str | None:
    """Text both engines can store: valid Unicode (no lone surrogate, which JSON's ``\\ud800``
    escape makes) and, outside the body, no NUL (PostgreSQL's text refuses it)."""
    if value is None:
        return value
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode: a lone surrogate at position {exc.start}") from None
    return value


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(f"contains a NUL character at position {value.index(chr(0))}")
    return value


_CheckedText = Annotated[
    StrictStr | None,
    AfterValidator(_storable),
    AfterValidator(_no_nul),
]
_Title = Annotated[_CheckedText, Field(default=None, max_length=MAX_TITLE_CHARS)]
_Name = Annotated[_CheckedText, Field(default=None, max_length=MAX_NAME_CHARS)]
_Url = Annotated[_CheckedText, Field(default=None, max_length=MAX_URL_CHARS)]


class ArticleRecord(BaseModel):
    """The fields of one article; text fields must be strings (a number or a list is refused)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Annotated[
        StrictStr | None,
        BeforeValidator(_id_text),
        AfterValidator(_storable),
        AfterValidator(_no_nul),
    ] = Field(
        default=None,
        max_length=MAX_ID_CHARS,
        description="Your identifier; re-sending it updates the article.",
    )
    title: _Title
    body: Annotated[StrictStr, AfterValidator(_storable)] = Field(
        description="The article's text, or a whole HTML page: then its article text, and its "
        "headline, author, date, site and URL where the record has none."
    )
    published: Annotated[date | None, BeforeValidator(parse_date)] = Field(
        default=None, description="ISO 8601 date or date-time."
    )
    source: _Name
    url: _Url
    author: _Name


class RecordError(ValueError):
    """A record that cannot be stored, from any stage: ``str()`` is ``file:line: reason`` (the
    CLI's report); the write API answers ``field``, ``message`` and ``kind`` (pydantic's error
    type) in a 422."""

    def __init__(
        self,
        message: str,
        *,
        field: str = "",
        kind: str = "value_error",
        path: str = "",
        line: int | None = None,
    ) -> None:
        # "missing body (…)" names its field already
        self.reason = f"field {field!r}: {message}" if field and kind != "missing" else message
        super().__init__(self.reason)
        self.message, self.field, self.kind = message, field, kind
        self.path = path  # a file or a URL
        self.line = line  # 1-based line (or item number) where the record starts

    def at(self, path: str, line: int | None) -> "RecordError":
        """The same error, placed in its input."""
        return RecordError(self.message, field=self.field, kind=self.kind, path=path, line=line)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}" if where else self.reason


class IngestAborted(Exception):
    """Raised in strict mode on the first bad record; the current batch is not stored."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class RawArticle:
    """A valid record, named (``source_id``) and placed in its input, before cleaning."""

    path: str
    line: int  # 1-based line (or item number in a JSON array) where the record starts
    source_id: str
    title: str | None
    body: str
    published: date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None


def validate_record(record: Any) -> ArticleRecord:
    """Map a source's field names onto the record and validate it; raise ``RecordError``."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object, got {type(record).__name__}", kind="type_error")
    fields: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in record.items():
        field = FIELD_ALIASES.get(str(key).strip().lower())
        if field and value is not None and value != "" and field not in fields:
            fields[field] = value.strip() if isinstance(value, str) and field != "body" else value
            spelled[field] = str(key)
    for field, value in list(fields.items()):
        if value == "":
            del fields[field]
    if "body" not in fields or (isinstance(fields["body"], str) and not fields["body"].strip()):
        message = "missing body (expected a 'body' or 'text' field)"
        raise RecordError(message, field="body", kind="missing")
    try:
        return ArticleRecord.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = first["msg"].removeprefix("Value error, ")
        raise RecordError(message, field=spelled.get(field, field), kind=first["type"]) from None
    except Exception as exc:  # the promise: a bad value is a RecordError, never a crash
        raise RecordError(f"unreadable value: {type(exc).__name__}: {exc}") from None


def _parse_int(digits: str) -> int | LongNumber:
    return int(digits) if len(digits.lstrip("-")) <= _MAX_INT_DIGITS else LongNumber(digits)


JSON_DECODER = json.JSONDecoder(parse_int=_parse_int)
"""JSON as records are read: integers of any length (see ``LongNumber``)."""


def loads_json(text: str) -> Any:
    """A JSON document; any input it cannot read is a ``json.JSONDecodeError`` (nesting deeper
    than the parser's recursion limit included), never another exception."""
    try:
        return JSON_DECODER.decode(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


ReadResult = RawArticle | RecordError
"""What a reader yields for each record of its input."""
