"""Writes: add or update articles (one JSON object, or NDJSON for a batch run as a job) and
delete them. Every route needs an API key (``app.web.auth``)."""

import hashlib
import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.api import articles
from app.api.params import ArticleId, SummaryRoute
from app.db.models import ArticleDetail, IngestJob
from app.errors import AppError, NotFound, PayloadTooLarge
from app.ingest.jobs import get_job, start_job
from app.ingest.records import ArticleRecord, RecordError, validate_record
from app.web.auth import WriteKey

if TYPE_CHECKING:  # the ingest pipeline (spaCy, trafilatura) is imported on the first write
    from app.ingest.store import PreparedArticle

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problems(**described: str) -> dict[int | str, dict[str, Any]]:
    return {
        int(status.removeprefix("s")): {
            "description": f"{text} (problem+json)",
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        }
        for status, text in described.items()
    }


class DatabaseBusy(AppError):
    status = 503
    slug = "database-busy"
    title = "Database busy"
    headers = {"Retry-After": "5"}


_AUTH_PROBLEMS = _problems(s401="No or a wrong API key", s403="Writes are off: no key configured")

router = APIRouter(tags=["articles"], route_class=SummaryRoute, responses=_AUTH_PROBLEMS)

JobId = Annotated[
    str,
    Path(
        max_length=64,
        description="Job id from the 202 answer.",
        examples=["3f2a9c1d0b7e4a6f8e5d2c1b0a9f8e7d"],
    ),
]


class JobStatus(BaseModel):
    id: str = Field(description="Job id.")
    status: str = Field(description="`queued`, `running`, `done` or `failed`.")
    total: int = Field(description="Records in the batch.")
    seen: int = Field(description="Records processed so far.")
    added: int
    updated: int
    unchanged: int
    duplicate: int
    failed: int
    errors: list[str] = Field(
        description="`api:<line>: reason` for each failed record (the first 1,000)."
    )
    error: str | None = Field(default=None, description="Why the whole job failed, if it did.")


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ArticleRecord.model_json_schema()},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One article object per line."}
            },
        },
    }
}


def _invalid(loc: list[str | int], msg: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", *loc), "msg": msg, "type": kind}])


def _prepared(record: Any, line: int) -> "PreparedArticle | RecordError":
    """A record validated and cleaned as ingestion does; the error names its field."""
    from app.ingest.pipeline import prepare
    from app.ingest.sources import SourceError, raw_article

    try:
        valid = validate_record(record)
    except RecordError as exc:
        return exc
    # without an id or URL, the text itself names the article: the same text again is 200
    text_id = "sha256:" + hashlib.sha256(valid.body.encode()).hexdigest()[:32]
    raw = raw_article(valid, "api", line, text_id)
    item = raw if isinstance(raw, SourceError) else prepare(raw)
    if isinstance(item, SourceError):
        return RecordError("body", item.reason, "value_error")
    return item


async def _read_body(request: Request) -> bytes:
    limit: int = request.app.state.settings.MAX_WRITE_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit}.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/articles",
    status_code=201,
    # one route answers with an article or a job status, so each status documents its model
    response_model=None,
    openapi_extra=_BODY_DOC,
    responses={
        201: {"description": "Added: the stored article", "model": ArticleDetail},
        200: {"description": "Known: the stored (or updated) article", "model": ArticleDetail},
        202: {"description": "A batch accepted; poll the `Location` URL", "model": JobStatus},
        **_problems(
            s413="Body too large",
            s422="A bad record: `errors` names the line and field",
            s503="Another write holds the database; retry after `Retry-After` seconds",
        ),
    },
)
async def create_article(request: Request, response: Response, _: WriteKey) -> Any:
    """Add or update an article (JSON), or a batch of them (NDJSON).

    One article is extracted (quotes, entities) before the answer: 201 with `Location` when it
    is new; 200 with the stored article when its `id` is known (a changed text is stored and
    extracted again) or the same text is stored under another id (never a second copy).
    A batch (`Content-Type: application/x-ndjson`) is validated whole (any bad line is a 422
    and nothing is stored), then runs as a job: 202 with the job's URL in `Location`.

    Async only to read the raw body; the work runs in the thread pool, as sync routes do."""
    data = await _read_body(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return await run_in_threadpool(_start_batch, request, response, data)
    return await run_in_threadpool(_create_one, request, response, data)


def _create_one(request: Request, response: Response, data: bytes) -> ArticleDetail:
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid([], f"invalid JSON: {exc}", "json_invalid") from None
    item = _prepared(record, 1)
    if isinstance(item, RecordError):
        raise _invalid([item.field] if item.field else [], item.message, item.kind)
    return _store(request, response, item)


def _store(request: Request, response: Response, item: "PreparedArticle") -> ArticleDetail:
    from app.ingest.pipeline import store_one

    settings = request.app.state.settings
    try:
        outcome, article_id = store_one(
            request.app.state.write_engine, item, model=settings.SPACY_MODEL
        )
    except OperationalError as exc:
        # another writer (a `corpus ingest` batch) held the lock past CORPUS_BUSY_TIMEOUT_MS
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise DatabaseBusy("The database is busy with another write; try again.") from None
    location = str(request.url_for("get_article", article_id=article_id).path)
    if outcome == "added":
        response.status_code = 201
        response.headers["Location"] = location
    else:
        response.status_code = 200
        response.headers["Content-Location"] = location
    with Session(request.app.state.engine) as session:
        return articles.get_article(session, article_id)


def _start_batch(request: Request, response: Response, data: bytes) -> JobStatus:
    items: list[PreparedArticle] = []
    issues: list[dict[str, Any]] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid([], f"the body is not UTF-8: {exc}", "unicode_error") from None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = _prepared(json.loads(line), number)
        except json.JSONDecodeError as exc:
            item = RecordError("", f"invalid JSON: {exc.msg} (column {exc.colno})", "json_invalid")
        if isinstance(item, RecordError):
            loc = ("body", number, item.field) if item.field else ("body", number)
            issues.append({"loc": loc, "msg": item.message, "type": item.kind})
        else:
            items.append(item)
    if issues:
        raise RequestValidationError(issues)
    if not items:
        raise _invalid([], "no records: the body is empty", "missing")
    settings = request.app.state.settings
    job = start_job(
        items,
        engine=request.app.state.write_engine,
        model=settings.SPACY_MODEL,
        batch_size=settings.INGEST_BATCH_SIZE,
    )
    response.status_code = 202
    response.headers["Location"] = str(request.url_for("get_ingest_job", job_id=job.id).path)
    return _status(job)


@router.get("/ingest-jobs/{job_id}", response_model=JobStatus, responses=_problems(s404="No job"))
def get_ingest_job(request: Request, response: Response, job_id: JobId, _: WriteKey) -> JobStatus:
    """Get the progress of a batch started with NDJSON (updated after every batch stored)."""
    job = get_job(request.app.state.engine, job_id)
    if job is None:
        raise NotFound(f"No ingest job {job_id}.")
    # progress moves without the change counter (ETags, app.web.caching): never reuse an answer
    response.headers["Cache-Control"] = "no-store"
    return _status(job)


def _status(job: IngestJob) -> JobStatus:
    return JobStatus.model_validate(job, from_attributes=True)


@router.delete(
    "/articles/{article_id}", status_code=204, responses=_problems(s404="No such article")
)
def delete_article(request: Request, article_id: ArticleId, _: WriteKey) -> Response:
    """Delete an article with its quotes and mentions."""
    from app.ingest.pipeline import delete_article as delete_stored

    if not delete_stored(request.app.state.write_engine, article_id):
        raise NotFound(f"No article with id {article_id}.")
    return Response(status_code=204)
