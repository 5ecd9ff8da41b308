"""The FastAPI application factory: settings in; engine, routers and problem+json errors wired."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app import metrics
from app.api import api_router, health
from app.api.params import Problem
from app.config import Settings, get_settings
from app.db.session import ReadDatabase
from app.engines.changes import ChangeTokenReader
from app.engines.connect import create_db_engine
from app.engines.replicas import ReadDatabases, check_read_urls, where
from app.errors import register_error_handlers
from app.search import Ranker, Syncer, folder_for
from app.web import add_middleware_stack
from app.web.auth import require_read_key
from app.web.routing import observe_replicas

DESCRIPTION = """
Articles, the quotes in them (who said what) and the people, organisations and places they
mention, with ranked full-text search. Every list shares one envelope
(`items`, `total`, `limit`, `offset`, `next`); every error is `application/problem+json`
(RFC 9457). Offsets (`start`, `end`) index the article's `body`.
"""


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _read_databases(settings: Settings, engine: Any) -> ReadDatabases | None:
    """The primary and its read replicas, checked once before the first request; None
    without replicas."""
    if not settings.READ_DATABASE_URLS:
        return None
    databases = ReadDatabases(
        ReadDatabase("primary", where(settings.DATABASE_URL), engine, replica=False),
        settings.DATABASE_URL,
        settings.READ_DATABASE_URLS,
        max_lag_s=settings.READ_MAX_LAG_S,
        check_interval_s=settings.READ_CHECK_INTERVAL_S,
        pool_size=settings.THREADS,
        observe=observe_replicas,
    )
    databases.start()
    return databases


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # replicas on SQLite, or not PostgreSQL URLs: refused before anything starts
    check_read_urls(settings.DATABASE_URL, settings.READ_DATABASE_URLS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # as many pooled connections as worker threads: a route never waits for either
        to_thread.current_default_thread_limiter().total_tokens = settings.THREADS
        app.state.engine = create_db_engine(
            settings.DATABASE_URL,
            busy_timeout_ms=settings.BUSY_TIMEOUT_MS,
            read_only=True,
            pool_size=settings.THREADS,
        )
        app.state.change_token = ChangeTokenReader(app.state.engine)
        app.state.read_databases = _read_databases(settings, app.state.engine)
        # writes (POST/DELETE with an API key) get an engine of their own; none without keys
        app.state.write_engine = (
            create_db_engine(settings.DATABASE_URL, busy_timeout_ms=settings.BUSY_TIMEOUT_MS)
            if settings.API_KEYS
            else None
        )
        # the search index beside the database, kept in step by a thread of each process
        folder = folder_for(settings.RANKER_PATH, settings.DATABASE_URL)
        app.state.ranker = None if folder is None else Ranker(folder)
        syncer = (
            None
            if app.state.ranker is None
            else Syncer(
                app.state.ranker,
                # its own connection: a build at a million articles reads for minutes
                create_db_engine(
                    settings.DATABASE_URL,
                    busy_timeout_ms=settings.BUSY_TIMEOUT_MS,
                    read_only=True,
                    pool_size=1,
                ),
                settings.RANKER_SYNC_INTERVAL_S,
                settings.RANKER_MIN_ARTICLES,
            )
        )
        # where writes are on, readiness waits for the model (and the first write does not)
        app.state.model_loading = (
            health.ModelLoading(settings.SPACY_MODEL) if settings.API_KEYS else None
        )
        yield
        if syncer is not None:
            syncer.close()
        metrics.process_stopped()
        app.state.change_token.close()
        if app.state.read_databases is not None:
            app.state.read_databases.close()
        app.state.engine.dispose()
        if app.state.write_engine is not None:
            app.state.write_engine.dispose()

    # FastAPIOffline serves the Swagger UI and ReDoc assets itself instead of from a CDN
    app = FastAPIOffline(
        title="News Corpus API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        openapi_tags=[
            {"name": "articles", "description": "Stored articles and their metadata."},
            {
                "name": "quotes",
                "description": "Who said what: direct, block, partial and reported quotes.",
            },
            {
                "name": "entities",
                "description": "People, organisations, places and other named things.",
            },
            {"name": "search", "description": "Ranked full-text search over titles and bodies."},
            {"name": "system", "description": "Health and status."},
        ],
    )
    app.state.settings = settings
    register_error_handlers(app)
    # read per request from the reader the lifespan opens
    add_middleware_stack(
        app,
        settings,
        change_token=lambda: app.state.change_token(),
        read_databases=(lambda: app.state.read_databases) if settings.READ_DATABASE_URLS else None,
    )
    app.include_router(health.router)
    # reads are open unless CORPUS_READ_REQUIRES_KEY; writes always check (app.web.auth)
    read_guard = [Depends(require_read_key)] if settings.READ_REQUIRES_KEY else []
    app.include_router(api_router, dependencies=read_guard)
    app.openapi = lambda: _openapi_with_problem_schema(app)  # type: ignore[method-assign]
    return app


# an example for every parameter the routes do not give one themselves
_PARAMETER_EXAMPLES: dict[str, Any] = {
    "limit": 20,
    "offset": 0,
    "cursor": "WyIyMDIwLTAxLTA0IiwgMTJd",
    "format": "csv",
    "sort": "-published",
    "author": "Jane Doe",
    "source": "Wikinews",
    "entity_id": 2,
    "article_id": 1,
    "speaker_entity_id": 2,
    "speaker": "Ren Zhengfei",
    "kind": "direct",
    "highlight_start": "<mark>",
    "highlight_end": "</mark>",
    "entity_match": "all",
    "facet": ["source", "entity"],
    "facet_size": 5,
    "has_quotes": True,
    "collapse": "story",
    "related_by": "story",
    "published_from": "2020-01-01",
    "published_to": "2020-12-31",
}


def _example_in_words(parameter: dict[str, Any]) -> None:
    """Give an optional parameter its example in the description, not as `example`: the
    Swagger UI fills examples into "Try it out", where an example filter would hide results."""
    if parameter.get("required"):
        return
    schema = parameter.get("schema", {})
    examples = parameter.pop("examples", None) or schema.pop("examples", None)
    example = parameter.pop("example", None)
    if isinstance(examples, dict):  # OpenAPI's named form: {name: {"value": …}}
        examples = [entry.get("value") for entry in examples.values()]
    value = examples[0] if examples else example
    if value is None:
        value = _PARAMETER_EXAMPLES.get(parameter["name"])
    if value is not None:
        shown = value if isinstance(value, str) else json.dumps(value)
        parameter["description"] = f"{parameter.get('description', '')} Example: `{shown}`.".strip()


def _openapi_with_problem_schema(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the Problem model that error responses refer to."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        # the page-size cap is a setting, so Query(le=...) could not declare it
        cap = app.state.settings.MAX_PAGE_SIZE
        for operation in (op for item in schema["paths"].values() for op in item.values()):
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "limit":
                    parameter["schema"]["maximum"] = cap
                _example_in_words(parameter)
        app.openapi_schema = schema
    return app.openapi_schema
