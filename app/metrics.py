"""The process's Prometheus metrics, named and labelled in one place; with
``PROMETHEUS_MULTIPROC_DIR`` set (``corpus serve`` sets it) every worker writes them to files
there and a scrape of any worker sums them all (prometheus-client's multiprocess mode)."""

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

# the text format every Prometheus reads (1.0.0, the library's default, only differs in
# allowing UTF-8 names, which these are not)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

__all__ = ["CONTENT_TYPE", "exposition", "process_stopped"]

REQUESTS = Counter(
    "corpus_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "corpus_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
)
IN_FLIGHT = Gauge(
    "corpus_http_requests_in_flight",
    "Requests being worked on or queued now.",
    multiprocess_mode="livesum",
)
QUEUED = Gauge(
    "corpus_admission_queue_length",
    "Requests waiting for a worker thread now.",
    multiprocess_mode="livesum",
)
REFUSED = Counter(
    "corpus_admission_refusals",
    "Requests refused with a 503 by admission: their wait ran out (timeout) or would clearly "
    "have (forecast).",
    ["reason"],
)
DROPPED = Counter(
    "corpus_admission_drops", "Queued requests dropped because their client had gone."
)
CACHE_HITS = Counter("corpus_response_cache_hits", "GET answers served from the response cache.")
CACHE_MISSES = Counter(
    "corpus_response_cache_misses", "Cacheable GET requests the response cache did not hold."
)
SEARCH_TIME = Histogram(
    "corpus_search_duration_seconds",
    "Time a search took in the database (results, total and facets), by engine.",
    ["engine"],
)
INGESTED = Counter(
    "corpus_ingest_articles",
    "Records ingested by this process (the write API, its jobs), by outcome.",
    ["outcome"],
)
JOBS = Counter(
    "corpus_ingest_jobs",
    "Ingest jobs by state reached: started, done or failed.",
    ["state"],
)
JOBS_RUNNING = Gauge(
    "corpus_ingest_jobs_running", "Ingest jobs running now.", multiprocess_mode="livesum"
)
DATABASE_READS = Counter(
    "corpus_database_reads",
    "Requests by the database their reads went to: primary, or replicaN (the Nth of "
    "CORPUS_READ_DATABASE_URLS). Counted where read replicas are set.",
    ["database"],
)
REPLICA_USABLE = Gauge(
    "corpus_replica_usable",
    "1 when a read replica passed its last check (reachable, a standby, within the lag bound) "
    "and takes reads, else 0; the lowest over worker processes.",
    ["database"],
    multiprocess_mode="livemin",
)
REPLICA_LAG = Gauge(
    "corpus_replica_lag_seconds",
    "How far a read replica was behind the primary at its last check; the highest over "
    "worker processes.",
    ["database"],
    multiprocess_mode="livemax",
)

# every label value known beforehand shows from the start, at 0: a rate needs a first sample
for _reason in ("timeout", "forecast"):
    REFUSED.labels(reason=_reason)
for _outcome in ("added", "updated", "unchanged", "duplicate", "failed"):
    INGESTED.labels(outcome=_outcome)
for _state in ("started", "done", "failed"):
    JOBS.labels(state=_state)
DATABASE_READS.labels(database="primary")  # replicas' labels are made as the app starts


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """The metrics in Prometheus's text format: every worker's, summed, in multiprocess mode."""
    if not _multiprocess():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_stopped() -> None:
    """Drop this process's live gauges (in flight, queued, jobs running) from the sums."""
    if _multiprocess():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
