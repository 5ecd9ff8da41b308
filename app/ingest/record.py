"""The record stage: one article's fields as any source gives them (a JSON object, a CSV row, front
matter, a page's metadata), validated with pydantic so that a wrong type is refused with its
field's name instead of being stored as a Python repr; the one record type (``RawArticle``) and
the one error type (``RecordError``) that every later stage passes on."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, ValidationError

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
        raise ValueError(f"published date {text!r} is not ISO 8601 (YYYY-MM-DD)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def _id_text(value: Any) -> Any:
    """An id may be a number in JSON (42 → "42"); a list or object stays a type error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


OptionalText = Annotated[StrictStr | None, Field(default=None)]


class ArticleRecord(BaseModel):
    """The fields of one article; text fields must be strings (a number or a list is refused)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Annotated[StrictStr | None, BeforeValidator(_id_text)] = Field(
        default=None, description="Your identifier; re-sending it updates the article."
    )
    title: OptionalText
    body: StrictStr = Field(
        description="The article's text, or a whole HTML page: then its article text, and its "
        "headline, author, date, site and URL where the record has none."
    )
    published: Annotated[date | None, BeforeValidator(parse_date)] = Field(
        default=None, description="ISO 8601 date or date-time."
    )
    source: OptionalText
    url: OptionalText
    author: OptionalText


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


ReadResult = RawArticle | RecordError
"""What a reader yields for each record of its input."""
