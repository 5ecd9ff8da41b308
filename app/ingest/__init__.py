"""Ingestion's front door, the one the CLI and the write API use: ingest files, folders and
URLs; accept one record as any reader would; store one; run a batch as a job; delete an article.

Behind it the stages run in one line (``docs/ARCHITECTURE.md``): ``read/`` → ``record`` →
``clean`` → ``annotate`` → ``store``, driven by ``run`` (batches, retries, the report) and
``jobs``. The stages that load spaCy or trafilatura are imported on first use, so an API worker
that never writes never loads them."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from app.config import FetchSettings
from app.db.jobs import IngestJob
from app.ingest.jobs import get_job
from app.ingest.record import (
    ArticleRecord,
    IngestAborted,
    RecordError,
    loads_json,
    validate_record,
)

if TYPE_CHECKING:  # the types of what the door hands out, for annotations elsewhere
    from app.ingest.clean import PreparedArticle as PreparedArticle
    from app.ingest.reannotate import ReannotateReport as ReannotateReport
    from app.ingest.run import IngestReport as IngestReport

__all__ = [
    "ArticleRecord",
    "IngestAborted",
    "RecordError",
    "accept_record",
    "check_record",
    "count_records",
    "count_stale",
    "delete_article",
    "get_job",
    "ingest",
    "is_url",
    "loads_json",
    "load_model",
    "read_url_list",
    "reannotate",
    "start_job",
    "store_article",
]


def ingest(
    inputs: Iterable[Path | str],
    *,
    engine: Engine,
    model: str,
    fetch: FetchSettings | None = None,
    batch_size: int = 64,
    strict: bool = False,
    on_record: Callable[[], None] | None = None,
    workers: int = 1,
) -> "IngestReport":
    """Ingest every record of the files, folders and ``http(s)://`` URLs given (see
    ``app.ingest.run.ingest``); ``IngestAborted`` at the first bad record in strict mode."""
    from app.ingest.read import Web
    from app.ingest.run import ingest as run

    return run(
        inputs,
        engine=engine,
        model=model,
        web=Web(fetch),
        batch_size=batch_size,
        strict=strict,
        on_record=on_record,
        workers=workers,
    )


def reannotate(
    engine: Engine,
    *,
    model: str,
    all_articles: bool = False,
    batch_size: int = 64,
    workers: int = 1,
    on_article: Callable[[int], None] | None = None,
) -> "ReannotateReport":
    """Re-extract the stored articles annotated with another model or rules version (with
    ``all_articles``, every article), batch by batch; safe to kill and run again."""
    from app.ingest.reannotate import mark_all_stale
    from app.ingest.reannotate import reannotate as run

    if all_articles:
        mark_all_stale(engine)
    return run(engine, model=model, batch_size=batch_size, workers=workers, on_article=on_article)


def count_stale(engine: Engine, *, model: str, all_articles: bool = False) -> int:
    """How many stored articles ``reannotate`` would re-extract."""
    from app.ingest.reannotate import count_stale as count

    return count(engine, model=model, all_articles=all_articles)


def check_record(record: Any, line: int) -> ArticleRecord | RecordError:
    """A record from the write API with its fields and types checked, and nothing more: no
    page is read and nothing cleaned, so a batch is checked whole before its 202."""
    try:
        return validate_record(record)
    except RecordError as exc:
        return exc.at("api", line)


def accept_record(record: Any, line: int) -> "PreparedArticle | RecordError":
    """A record from the write API, read and cleaned as a file's record is (a body that is a
    whole page is read as one); the error names its field (``body`` for what reading or
    cleaning refused). Without an id or URL, the text names the article, so the same text sent
    again is the same article."""
    valid = check_record(record, line)
    return valid if isinstance(valid, RecordError) else _prepare(valid, line)


def _prepare(valid: ArticleRecord, line: int) -> "PreparedArticle | RecordError":
    from app.ingest.clean import prepare
    from app.ingest.read import raw_article

    text_id = "sha256:" + hashlib.sha256(valid.body.encode()).hexdigest()[:32]
    raw = raw_article(valid, "api", line, text_id)
    item = raw if isinstance(raw, RecordError) else prepare(raw)
    if isinstance(item, RecordError):
        return RecordError(item.reason, field="body", path="api", line=line)
    return item


def store_article(engine: Engine, item: "PreparedArticle", *, model: str) -> tuple[str, int]:
    """Annotate and store one accepted record in its own transaction: (``added``, ``updated``,
    ``unchanged`` or ``duplicate``, the id of the stored article holding its text);
    ``DatabaseBusy`` when another writer holds the database past the busy timeout."""
    from app.ingest.run import store_one

    return store_one(engine, item, model=model)


def start_job(
    records: Sequence[tuple[int, ArticleRecord]],
    *,
    engine: Engine,
    model: str,
    batch_size: int,
    heartbeat_s: float,
) -> IngestJob:
    """Store checked records (with their line numbers) as a background job whose progress any
    worker can read; pages in bodies are read and texts cleaned in the job, not before."""
    from app.ingest.jobs import start_job as start

    items = (_prepare(valid, line) for line, valid in records)  # lazily, in the job's thread
    return start(
        items,
        total=len(records),
        engine=engine,
        model=model,
        batch_size=batch_size,
        heartbeat_s=heartbeat_s,
    )


def load_model(model: str) -> None:
    """Load the extraction model into this process now rather than on the first write."""
    from app.nlp.pipeline import load_pipeline

    load_pipeline(model)


def delete_article(engine: Engine, article_id: int) -> bool:
    """Delete an article with its quotes and mentions; False when there is no such article."""
    from app.ingest.run import delete_article as delete

    return delete(engine, article_id)


def is_url(value: str) -> bool:
    """Is this input a URL to fetch (``http://`` or ``https://``) rather than a path?"""
    from app.ingest.read import is_url as url

    return url(value)


def read_url_list(path: Path) -> list[str]:
    """URLs one per line; blank lines and ``#`` comments skipped."""
    from app.ingest.read import read_url_list as read

    return list(read(path))


def count_records(inputs: Sequence[Path | str]) -> int:
    """A cheap estimate of how many records the inputs hold, for a progress bar."""
    from app.ingest.read import count_documents, iter_files

    files = [p for p in inputs if isinstance(p, Path)]
    return sum(count_documents(path) for path, _ in iter_files(files)) + len(inputs) - len(files)
