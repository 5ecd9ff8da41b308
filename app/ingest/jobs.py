"""Batch ingestion jobs started by the write API: run in a background thread of the process
that accepted them, their progress stored in the ``ingest_job`` table after every batch so
that any worker can answer the status URL."""

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from app.db.models import IngestCounts, IngestJob

if TYPE_CHECKING:  # spaCy loads with the pipeline: only when a job runs, not at API start
    from app.ingest.clean import PreparedArticle
    from app.ingest.run import IngestReport

logger = logging.getLogger(__name__)
# errors kept per job (the counts are always complete)
_KEPT_ERRORS = 1000


def get_job(engine: Engine, job_id: str) -> IngestJob | None:
    with Session(engine) as session:
        return session.get(IngestJob, job_id)


def start_job(
    items: Sequence["PreparedArticle"], *, engine: Engine, model: str, batch_size: int
) -> IngestJob:
    """Record a queued job and run it in a daemon thread; return the job as first stored."""
    now = datetime.now(UTC)
    job = IngestJob(
        id=uuid.uuid4().hex, status="queued", total=len(items), created_at=now, updated_at=now
    )
    _save(engine, job.model_copy())

    def run() -> None:
        from app.ingest.run import IngestReport, ingest_records

        report = IngestReport()
        progress = {"seen": 0}

        def on_record() -> None:
            # a batch has just been stored when seen reaches a multiple of the batch size
            if report.seen - progress["seen"] >= batch_size:
                progress["seen"] = report.seen
                _record(engine, job, "running", report)

        _record(engine, job, "running", report)
        try:
            ingest_records(
                items,
                engine=engine,
                model=model,
                batch_size=batch_size,
                on_record=on_record,
                report=report,
            )
        except Exception as exc:  # reported to the client that polls the job
            logger.exception("ingest job %s failed", job.id)
            _record(engine, job, "failed", report, error=f"{type(exc).__name__}: {exc}")
        else:
            _record(engine, job, "done", report)

    threading.Thread(target=run, name=f"ingest-job-{job.id}", daemon=True).start()
    return job


def _record(
    engine: Engine, job: IngestJob, status: str, report: "IngestReport", error: str | None = None
) -> None:
    job.status, job.error = status, error
    job.sqlmodel_update(report.model_dump(include=set(IngestCounts.model_fields)))
    job.errors = [str(e) for e in report.errors[:_KEPT_ERRORS]]
    job.updated_at = datetime.now(UTC)
    try:
        _save(engine, job.model_copy())
    except Exception:  # progress is best effort; the articles themselves are committed
        logger.exception("could not record the progress of ingest job %s", job.id)


def _save(engine: Engine, job: IngestJob) -> None:
    with Session(engine) as session, session.begin():
        session.merge(job)
