"""The body on the wire: none for HEAD (answered as GET), gzip when the client accepts it."""

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.asgi import header


class HeadAsGetMiddleware:
    """Answer HEAD like GET without the body (RFC 9110 9.3.2): same status and headers, ETag
    included. The routes themselves only declare GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class NegotiatedGZipMiddleware(GZipMiddleware):
    """Starlette's gzip, but honouring ``gzip;q=0`` (and ``*;q=0``): RFC 9110 12.5.3."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not accepts_gzip(header(scope, b"accept-encoding")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or matched by ``*``) with q > 0."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip()] = weight
    weight = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return weight > 0
