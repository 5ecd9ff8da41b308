"""CSV and NDJSON exports of any list, streamed row by row from the database so that exporting
the whole corpus never holds it in memory."""

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlmodel import Session

from app.db.session import read_engine
from app.errors import SearchTimeout
from app.queries import Order, stream
from app.search import time_limit

logger = logging.getLogger(__name__)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


# a cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_MEDIA_TYPES = {ExportFormat.csv: "text/csv", ExportFormat.ndjson: "application/x-ndjson"}

FormatDep = Annotated[
    ExportFormat,
    Query(
        alias="format",
        description="`json` (one page in the envelope), or `csv` / `ndjson`: every matching "
        "row, streamed, ignoring `limit` and `offset`.",
    ),
]

# the extra content types every exportable list can answer with, for the OpenAPI document
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        }
    }
}


def export(
    request: Request,
    fmt: ExportFormat,
    model: type[BaseModel],
    rows: Callable[[Session], Iterable[BaseModel]],
    name: str,
) -> StreamingResponse:
    """Stream ``rows`` (run in a session of its own, which lives as long as the response)."""
    engine = read_engine(request)  # a replica's, where one takes this read
    timeout_ms = request.app.state.settings.EXPORT_TIMEOUT_MS
    columns = list(model.model_fields)

    def lines() -> Iterator[str]:
        with Session(engine) as session:
            if fmt is ExportFormat.csv:
                yield _csv_line(columns)
            try:
                with time_limit(session, timeout_ms):
                    for row in rows(session):
                        data = row.model_dump(mode="json")
                        if fmt is ExportFormat.csv:
                            yield _csv_line([_cell(data[c]) for c in columns])
                        else:
                            yield json.dumps(data, ensure_ascii=False) + "\n"
            except SearchTimeout:
                # the status line has gone out already: the download ends here, short
                logger.warning("export of %s stopped after %d ms", name, timeout_ms)

    return StreamingResponse(
        lines(),
        media_type=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'},
    )


def export_query(
    request: Request,
    fmt: ExportFormat,
    model: type[BaseModel],
    statement: Any,
    order: Order,
    name: str,
) -> StreamingResponse:
    """Export every row of a statement that selects one table, as ``model``."""
    return export(
        request,
        fmt,
        model,
        lambda s: (model.model_validate(row) for row in stream(s, statement, order)),
        name,
    )


def _cell(value: Any) -> Any:
    """Lists and objects as JSON text in one cell, which any CSV reader keeps intact; text that
    a spreadsheet would run as a formula is defused."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        # OWASP CSV injection: prefix a quote so the cell is text, not a formula
        # https://owasp.org/www-community/attacks/CSV_Injection
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
