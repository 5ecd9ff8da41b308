"""Request metrics (``app.metrics``): answers by route template, method and status, their
latency, and requests in flight, counted outside every other layer so refusals and cached
answers count too."""

import re
import time
from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import IN_FLIGHT, LATENCY, REQUESTS
from app.web.requests import ROUTE_KEY

# paths seen, with their route template: ids make paths many, so the table is emptied when full
_KEPT_TEMPLATES = 4096


class MetricsMiddleware:
    """Count every HTTP answer under its route's template (``/api/v1/articles/{article_id}``,
    not the path, so the labels stay few; ``unmatched`` for a 404 without a route)."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the app's own list: routes included later are in it too
        self.templates: dict[str, str] = {}
        self.matchers: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, method = self._template(scope), scope["method"]
        scope[ROUTE_KEY] = route  # for the access line, written by the layer above
        started = time.perf_counter()
        status = 499  # no answer and no error: the client left first (nginx's code)

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_counted)
        except Exception:
            status = 500  # answered as a 500 by the request-id layer above
            raise
        finally:
            IN_FLIGHT.dec()
            REQUESTS.labels(route=route, method=method, status=str(status)).inc()
            LATENCY.labels(route=route, method=method).observe(time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        path: str = scope["path"]
        template = self.templates.get(path)
        if template is None:
            if self.matchers is None:  # built on first use: routes are included after this
                self.matchers = _matchers(self.routes)
            found = (t for pattern, t in self.matchers if pattern.match(path))
            template = next(found, "unmatched")
            if len(self.templates) >= _KEPT_TEMPLATES:
                self.templates.clear()
            self.templates[path] = template
        return template


def _matchers(routes: Sequence[BaseRoute]) -> list[tuple[re.Pattern[str], str]]:
    """Each route's path pattern with its template, included routers' routes among them."""
    found = []
    for context in iter_route_contexts(routes):
        template = context.path_format
        if template is None:
            continue
        mount = isinstance(context.original_route, Mount)  # the static assets of /docs
        pattern = template.removesuffix("{path}") + "{path:path}" if mount else template
        found.append((compile_path(pattern)[0], template))
    return found
