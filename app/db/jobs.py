"""Ingest jobs: the counts a run keeps (``IngestCounts``), the job row any worker reads
(``IngestJob``) and the status its URL answers (``JobStatus``), all one type of count."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class IngestCounts(SQLModel):
    """What an ingest run did with its records: counted by ``app.ingest.run.IngestReport``,
    stored in a job's row and answered by its status URL."""

    seen: int = Field(default=0, description="Records processed so far.")
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failed: int = 0


class IngestJob(IngestCounts, table=True):
    """An NDJSON batch posted to the write API; kept in the database so that any worker
    process can answer its status URL."""

    __tablename__ = "ingest_job"

    id: str = Field(primary_key=True)
    status: str  # queued, running, done, failed (interrupted is read, not stored)
    total: int
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = None
    created_at: datetime
    updated_at: datetime


class JobStatus(IngestCounts):
    """An ingest job as its status URL answers it: the job's row without its timestamps."""

    # every field is in every answer: required in the response schema, defaults or not
    model_config = {"json_schema_serialization_defaults_required": True}

    id: str = Field(description="Job id.")
    status: str = Field(
        description="`queued`, `running`, `done`, `failed`, or `interrupted` (its process "
        "stopped: `error` says how far it got; post the batch again to finish it)."
    )
    total: int = Field(description="Records in the batch.")
    errors: list[str] = Field(
        description="`api:<line>: reason` for each failed record (the first 1,000)."
    )
    error: str | None = Field(default=None, description="Why the whole job failed, if it did.")
