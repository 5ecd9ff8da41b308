"""Batch ingestion jobs started by the write API: run in a background thread, their progress
kept in memory by the serving process for clients to poll."""

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine

if TYPE_CHECKING:  # spaCy loads with the pipeline: only when a job runs, not at API start
    from app.ingest.pipeline import IngestReport
    from app.ingest.store import PreparedArticle

logger = logging.getLogger(__name__)
# finished jobs are forgotten oldest first beyond this many
_KEPT_JOBS = 1000


@dataclass
class Job:
    id: str
    total: int
    status: Literal["queued", "running", "done", "failed"] = "queued"
    report: "IngestReport | None" = None  # counts so far, once the job runs
    error: str | None = None


class Jobs:
    """Jobs by id; one writer thread at a time per job, SQLite serialising the writes."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(
        self, items: Sequence["PreparedArticle"], *, engine: Engine, model: str, batch_size: int
    ) -> Job:
        job = Job(id=uuid.uuid4().hex, total=len(items))
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEPT_JOBS:
                self._jobs.popitem(last=False)

        def run() -> None:
            from app.ingest.pipeline import IngestReport, ingest_records

            job.report = IngestReport()
            job.status = "running"
            try:
                ingest_records(
                    items, engine=engine, model=model, batch_size=batch_size, report=job.report
                )
                job.status = "done"
            except Exception as exc:  # reported to the client that polls the job
                logger.exception("ingest job %s failed", job.id)
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"

        threading.Thread(target=run, name=f"ingest-job-{job.id}", daemon=True).start()
        return job
