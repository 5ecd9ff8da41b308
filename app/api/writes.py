"""Writes: add or update articles (one JSON object, or NDJSON for a batch run as a job) and
delete them. Every route needs an API key (``app.web.auth``)."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session

from app import ingest
from app.api import articles
from app.api.params import ArticleId, SummaryRoute, problem_responses
from app.db.jobs import IngestJob, JobStatus
from app.db.models import SPEECH_KINDS, ArticleDetail
from app.errors import NotFound, PayloadTooLarge
from app.ingest import ArticleRecord, RecordError, loads_json
from app.web.auth import WriteKey
from app.web.routing import note_write

_AUTH_PROBLEMS = problem_responses(
    (401, "No or a wrong API key"), (403, "Writes are off: no key configured")
)

router = APIRouter(tags=["articles"], route_class=SummaryRoute, responses=_AUTH_PROBLEMS)

JobId = Annotated[
    str,
    Path(
        max_length=64,
        description="Job id from the 202 answer.",
        examples=["3f2a9c1d0b7e4a6f8e5d2c1b0a9f8e7d"],
    ),
]


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
        **problem_responses(
            (413, "Body too large"),
            (422, "A bad record: `errors` names the line and field"),
            (503, "Another write holds the database; retry after `Retry-After` seconds"),
        ),
    },
)
async def create_article(request: Request, response: Response, _: WriteKey) -> Any:
    """Add or update an article (JSON), or a batch of them (NDJSON).

    One article is extracted (quotes, entities) before the answer: 201 with `Location` when it
    is new; 200 with the stored article when its `id` is known (a changed text is stored and
    extracted again) or the same text is stored under another id (never a second copy).
    A batch (`Content-Type: application/x-ndjson`) has its fields checked whole (any bad line
    is a 422 and nothing is stored), then runs as a job: 202 with the job's URL in `Location`
    before any page is read or text extracted; what fails after that is the job's `errors`.

    Async only to read the raw body; the work runs in the thread pool, as sync routes do."""
    data = await _read_body(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return await run_in_threadpool(_start_batch, request, response, data)
    return await run_in_threadpool(_create_one, request, response, data)


def _create_one(request: Request, response: Response, data: bytes) -> ArticleDetail:
    try:
        record = loads_json(data.decode(json.detect_encoding(data), "surrogatepass"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid([], f"invalid JSON: {exc}", "json_invalid") from None
    item = ingest.accept_record(record, 1)
    if isinstance(item, RecordError):
        raise _invalid([item.field] if item.field else [], item.message, item.kind)
    return _store(request, response, item)


def _store(request: Request, response: Response, item: "ingest.PreparedArticle") -> ArticleDetail:
    settings = request.app.state.settings
    # DatabaseBusy (a 503) when a `corpus ingest` batch holds the lock past the busy timeout
    outcome, article_id = ingest.store_article(
        request.app.state.write_engine, item, model=settings.SPACY_MODEL
    )
    location = str(request.url_for("get_article", article_id=article_id).path)
    if outcome == "added":
        response.status_code = 201
        response.headers["Location"] = location
    else:
        response.status_code = 200
        response.headers["Content-Location"] = location
    note_write(request, response)  # with read replicas: the client's next read sees this
    with Session(request.app.state.engine) as session:
        # as GET answers it: with the quotes of the default kinds
        return articles.get_article(session, article_id, SPEECH_KINDS)


def _start_batch(request: Request, response: Response, data: bytes) -> JobStatus:
    records: list[tuple[int, ArticleRecord]] = []
    issues: list[dict[str, Any]] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid([], f"the body is not UTF-8: {exc}", "unicode_error") from None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        # fields and types only: pages in bodies are read in the job, after the 202
        try:
            item = ingest.check_record(loads_json(line), number)
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
            item = RecordError(reason, kind="json_invalid")
        if isinstance(item, RecordError):
            loc = ("body", number, item.field) if item.field else ("body", number)
            issues.append({"loc": loc, "msg": item.message, "type": item.kind})
        else:
            records.append((number, item))
    if issues:
        raise RequestValidationError(issues)
    if not records:
        raise _invalid([], "no records: the body is empty", "missing")
    settings = request.app.state.settings
    job = ingest.start_job(
        records,
        engine=request.app.state.write_engine,
        model=settings.SPACY_MODEL,
        batch_size=settings.INGEST_BATCH_SIZE,
        heartbeat_s=settings.JOB_HEARTBEAT_S,
    )
    response.status_code = 202
    response.headers["Location"] = str(request.url_for("get_ingest_job", job_id=job.id).path)
    return _status(job)


@router.get(
    "/ingest-jobs/{job_id}",
    response_model=JobStatus,
    responses=problem_responses((404, "No job"), 422),
)
def get_ingest_job(request: Request, response: Response, job_id: JobId, _: WriteKey) -> JobStatus:
    """Get the progress of a batch started with NDJSON (updated after every batch stored).

    `interrupted` when the process running it stopped: `error` says how far it got."""
    settings = request.app.state.settings
    job = ingest.get_job(request.app.state.engine, job_id, heartbeat_s=settings.JOB_HEARTBEAT_S)
    if job is None:
        raise NotFound(f"No ingest job {job_id}.")
    # progress moves without the change counter (ETags, app.web.caching): never reuse an answer
    response.headers["Cache-Control"] = "no-store"
    note_write(request, response)  # the batches stored so far: read-your-writes, as above
    return _status(job)


def _status(job: IngestJob) -> JobStatus:
    return JobStatus.model_validate(job, from_attributes=True)


@router.delete(
    "/articles/{article_id}",
    status_code=204,
    responses=problem_responses((404, "No such article"), 422),
)
def delete_article(request: Request, article_id: ArticleId, _: WriteKey) -> Response:
    """Delete an article with its quotes and mentions."""
    if not ingest.delete_article(request.app.state.write_engine, article_id):
        raise NotFound(f"No article with id {article_id}.")
    response = Response(status_code=204)
    note_write(request, response)
    return response
