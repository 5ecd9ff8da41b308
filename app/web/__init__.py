"""HTTP behaviour around the routes: request ids and the access log, metrics, admission, HEAD
and compression, conditional GETs and the response cache, API keys. `add_middleware_stack` installs
it on the app."""

import hashlib
from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.config import Settings
from app.db.session import ChangeToken
from app.engines.replicas import ReadDatabases
from app.web.admission import AdmissionMiddleware
from app.web.auth import scope_has_key
from app.web.caching import ConditionalGetMiddleware, ResponseCacheMiddleware
from app.web.compression import HeadAsGetMiddleware, NegotiatedGZipMiddleware
from app.web.metrics import MetricsMiddleware
from app.web.requests import RequestIdMiddleware, configure_access_log
from app.web.routing import ReadRoutingMiddleware


def add_middleware_stack(
    app: FastAPI,
    settings: Settings,
    *,
    change_token: Callable[[], ChangeToken | None],
    read_databases: Callable[[], ReadDatabases | None] | None = None,
) -> None:
    """Start the logs and stack the middleware. The last added runs first, so a request
    meets them in this order:

    1. request ids: the id and the access line cover everything below, refusals included;
    1b. metrics (requests, latency, in flight): the same, outside everything that answers;
    1c. the read's database (with read replicas): its change token keys the cache below;
    2. the response cache (when on): a cached answer needs no admission;
    3. admission: before any work;
    4. CORS (when origins are set): below the cache, which keys its answers by origin;
    5. HEAD as GET: above gzip and the validators, so HEAD gets the GET's headers;
    6. gzip;
    7. the validators (ETag, Last-Modified, 304): set on the uncompressed answer.
    """
    configure_access_log(settings.LOG_FORMAT)
    cache_control = (
        f"public, max-age={settings.CACHE_MAX_AGE}" if settings.CACHE_MAX_AGE else "no-cache"
    )
    # validators depend on the code, the settings that shape answers and the data, never on a
    # secret: a key mixed in here could be recovered offline from a public ETag (issue 18)
    build = hashlib.sha256(f"{app.version} {settings.public_json()}".encode()).hexdigest()
    app.add_middleware(
        ConditionalGetMiddleware,
        change_token=change_token,
        build=build,
        cache_control=cache_control,
        may_answer=(
            (lambda scope: scope_has_key(scope, settings.API_KEYS))
            if settings.READ_REQUIRES_KEY
            else None
        ),
    )
    app.add_middleware(NegotiatedGZipMiddleware, minimum_size=1024)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["ETag", "Last-Modified", "Link", "X-Request-ID"],
        )
    app.add_middleware(
        AdmissionMiddleware, slots=settings.THREADS, max_wait_s=settings.MAX_QUEUE_WAIT_MS / 1000
    )
    # a read that needs a key is checked by the routes on every request, so none is cached
    if settings.RESPONSE_CACHE_MB > 0 and not settings.READ_REQUIRES_KEY:
        app.add_middleware(
            ResponseCacheMiddleware,
            change_token=change_token,
            max_bytes=settings.RESPONSE_CACHE_MB * 2**20,
        )
    if read_databases is not None:
        app.add_middleware(ReadRoutingMiddleware, databases=read_databases)
    # below the request ids, which turn an escaped error into the 500 this counts
    app.add_middleware(MetricsMiddleware, routes=app.router.routes)
    app.add_middleware(RequestIdMiddleware)
