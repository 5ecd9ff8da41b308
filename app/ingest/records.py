"""One article record as any source gives it (a JSON object, a CSV row, front matter, a page's
metadata), validated with pydantic so a wrong type is refused with its field's name instead of
being stored as a Python repr."""

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
    """A record that does not validate; ``str()`` names the field as the source spelled it."""

    def __init__(self, field: str, message: str, kind: str) -> None:
        # "missing body (…)" names its field already
        super().__init__(f"field {field!r}: {message}" if field and kind != "missing" else message)
        self.field = field
        self.message = message
        self.kind = kind


def validate_record(record: Any) -> ArticleRecord:
    """Map a source's field names onto the record and validate it; raise ``RecordError``."""
    if not isinstance(record, dict):
        raise RecordError("", f"expected an object, got {type(record).__name__}", "type_error")
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
        raise RecordError("body", "missing body (expected a 'body' or 'text' field)", "missing")
    try:
        return ArticleRecord.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = first["msg"].removeprefix("Value error, ")
        raise RecordError(spelled.get(field, field), message, first["type"]) from None
