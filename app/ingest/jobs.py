"""Batch ingestion jobs started by the write API: run in a background thread of the process
that accepted them, their progress stored in the ``ingest_job`` table after every batch and at
every heartbeat, so that any worker can answer the status URL and tell a job whose process died."""

import logging
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from app.db.jobs import IngestCounts, IngestJob
from app.ingest.record import RecordError
from app.metrics import JOBS, JOBS_RUNNING

if TYPE_CHECKING:  # spaCy loads with the pipeline: only when a job runs, not at API start
    from app.ingest.clean import PreparedArticle
    from app.ingest.run import IngestReport

logger = logging.getLogger(__name__)
# errors kept per job (the counts are always complete)
_KEPT_ERRORS = 1000
# a queued or running job whose row has missed this many heartbeats lost its process (a
# restart, a crash, kill -9): its daemon thread went with it, and nothing will finish it
_MISSED_HEARTBEATS = 3
# the jobs this process is running: never interrupted, whatever their row says (on SQLite a beat
# is lost while the batch's own write transaction holds the lock, and engines never wait)
_RUNNING_HERE: set[str] = set()


def get_job(engine: Engine, job_id: str, *, heartbeat_s: float) -> IngestJob | None:
    """The job as stored; ``interrupted`` (with how to finish it) when it should be going on
    but its heartbeat stopped."""
    with Session(engine) as session:
        job = session.get(IngestJob, job_id)
    if job is None or job.status not in ("queued", "running") or job.id in _RUNNING_HERE:
        return job
    beat = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=UTC)
    if datetime.now(UTC) - beat < timedelta(seconds=heartbeat_s * _MISSED_HEARTBEATS):
        return job
    # seen counts records read, some perhaps in a batch that was never stored: count outcomes
    done = job.added + job.updated + job.unchanged + job.duplicate + job.failed
    stopped = job.model_copy()
    stopped.status = "interrupted"
    stopped.error = (
        f"the process running this job stopped after {done} of {job.total} records; what it "
        "stored is kept: post the same batch again to finish (stored articles come back "
        "unchanged)"
    )
    return stopped


def start_job(
    items: Iterable["PreparedArticle | RecordError"],
    *,
    total: int,
    engine: Engine,
    model: str,
    batch_size: int,
    heartbeat_s: float,
) -> IngestJob:
    """Record a queued job and run it in a daemon thread; return the job as first stored.
    ``items`` is read in that thread, so preparing them (reading pages) is the job's work."""
    now = datetime.now(UTC)
    job = IngestJob(
        id=uuid.uuid4().hex, status="queued", total=total, created_at=now, updated_at=now
    )
    _save(engine, job.model_copy())
    lock = threading.Lock()  # the job's row is written by the run and by the heartbeat
    finished = threading.Event()

    def run() -> None:
        from app.ingest.run import IngestReport, ingest_records

        report = IngestReport()
        progress = {"seen": 0}

        def record(status: str, error: str | None = None) -> None:
            with lock:
                _record(engine, job, status, report, error)

        def on_record() -> None:
            # a batch has just been stored when seen reaches a multiple of the batch size
            if report.seen - progress["seen"] >= batch_size:
                progress["seen"] = report.seen
                record("running")

        def heartbeat() -> None:
            while not finished.wait(heartbeat_s):
                record("running")

        _RUNNING_HERE.add(job.id)
        record("running")
        threading.Thread(target=heartbeat, name=f"ingest-job-{job.id}-beat", daemon=True).start()
        JOBS_RUNNING.inc()
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
            finished.set()
            record("failed", error=f"{type(exc).__name__}: {exc}")
        else:
            finished.set()
            record("done")
        finally:
            _RUNNING_HERE.discard(job.id)
            JOBS_RUNNING.dec()
            JOBS.labels(state=job.status).inc()

    JOBS.labels(state="started").inc()
    threading.Thread(target=run, name=f"ingest-job-{job.id}", daemon=True).start()
    return job


def _record(
    engine: Engine, job: IngestJob, status: str, report: "IngestReport", error: str | None = None
) -> None:
    if job.status in ("done", "failed"):
        return  # a heartbeat that lost the race with the end
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
