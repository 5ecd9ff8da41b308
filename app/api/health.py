"""Liveness (the process answers: no query), readiness (the database answers at the
migrations' head, and the extraction model is loaded where writes are on), and the Prometheus
metrics of every worker."""

import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError

from app import ingest
from app.api.params import SummaryRoute, problem_responses
from app.db.migrations import database_revisions, head_revisions
from app.db.models import Health
from app.db.session import read_database, read_engine
from app.errors import problem
from app.metrics import CONTENT_TYPE, exposition
from app.web.auth import require_metrics_key

logger = logging.getLogger(__name__)
router = APIRouter(tags=["system"], route_class=SummaryRoute)


class Readiness(Health):
    database: str | None = Field(
        default=None,
        description="Where read replicas are set: the database that answered the check "
        "(`primary` or `replicaN`, with host, port and database name, never credentials).",
    )
    replicas: dict[str, str] | None = Field(
        default=None,
        description="Where read replicas are set: each one, and whether it takes reads.",
    )


class ModelLoading:
    """The extraction model, loaded in a thread of its own as the app starts when writes are
    on: readiness waits for it, and the first write no longer pays for it."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.loaded = threading.Event()
        self.error: str | None = None
        threading.Thread(target=self._load, name="load-model", daemon=True).start()

    def _load(self) -> None:
        try:
            ingest.load_model(self.model)
            self.loaded.set()
        except Exception as exc:  # reported by readiness, which stays 503
            logger.exception("could not load the extraction model %s", self.model)
            self.error = f"{type(exc).__name__}: {exc}"

    def state(self) -> str | None:
        """None when loaded, else what readiness reports."""
        if self.loaded.is_set():
            return None
        return f"{self.model} failed to load: {self.error}" if self.error else "loading"


@router.get("/health", response_model=Health)
async def get_health() -> Health:
    """Say that this process answers (liveness); no query runs."""
    return Health(status="ok")


@router.get(
    "/health/ready",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses=problem_responses((503, "Not ready: `checks` says what is missing")),
)
def get_readiness(request: Request) -> Readiness | JSONResponse:
    """Say whether this process can serve (readiness).

    The database answers at the migrations' head, and the extraction model is loaded when
    writes are on; otherwise a 503 whose `checks` say what is missing. With read replicas,
    the check reads the database a read would go to now, named in `database`, and `replicas`
    says which of them take reads."""
    checks: dict[str, str] = {}
    ready = True
    database = read_database(request)
    name = None if database is None else str(database)
    replicas = None if database is None else request.app.state.read_databases.describe()
    try:
        with read_engine(request).connect() as connection:
            revisions = database_revisions(connection)
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        revisions, ready = frozenset(), False
    if checks["database"] == "ok":
        if revisions == head_revisions():
            checks["migrations"] = "ok"
        else:
            at = ", ".join(sorted(revisions)) or "none"
            expected = ", ".join(sorted(head_revisions()))
            checks["migrations"] = f"at {at}, not {expected}: run `corpus migrate`"
            ready = False
    loading: ModelLoading | None = request.app.state.model_loading
    if loading is not None:
        missing = loading.state()
        checks["model"] = missing or "ok"
        ready = ready and missing is None
    if ready:
        return Readiness(status="ready", checks=checks, database=name, replicas=replicas)
    detail = "; ".join(f"{name}: {state}" for name, state in checks.items() if state != "ok")
    where: dict[str, Any] = {} if database is None else {"database": name, "replicas": replicas}
    return problem(
        request, 503, slug="not-ready", title="Not ready", detail=detail, checks=checks, **where
    )


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_key)])
async def get_metrics() -> Response:
    """Give the Prometheus metrics of every worker process, summed (text format)."""
    return Response(exposition(), media_type=CONTENT_TYPE)
