"""Where a request's Python time goes: the hot routes driven in process through the ASGI app
(no sockets, no HTTP parser), response cache off, beside the framework ceiling's route, as the
median CPU time per request; ``--profile`` prints cProfile's top functions for one case.

    python -m bench.perrequest --db .bench/cache/real.db [--n 2000] [--profile 'article']
"""

import argparse
import asyncio
import cProfile
import logging
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message

from bench.cases import build_cases

HOT = ("search common", "search rare", "search phrase", "search prefix", "source=", "article by")


async def _lifespan(app: ASGIApp) -> tuple[asyncio.Queue[Message], asyncio.Task[None]]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    task: asyncio.Task[None] = asyncio.create_task(
        app({"type": "lifespan"}, inbox.get, outbox.put)  # type: ignore[arg-type]
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    return inbox, task


async def request(app: ASGIApp, url: str) -> tuple[int, bytes]:
    """One GET through the app as uvicorn would call it; the status and the body."""
    parts = urlsplit(url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0
    body = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


async def cpu_per_request(app: ASGIApp, url: str, n: int) -> float:
    """Median process CPU time per request in ms, over 5 rounds of n/5 after a warm-up."""
    for _ in range(50):
        await request(app, url)
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(n // 5):
            await request(app, url)
        rounds.append((time.process_time() - started) * 1000 / (n // 5))
    return statistics.median(rounds)


def _inline_threads() -> None:
    """Run what would go to a worker thread on the event loop's thread instead."""
    import fastapi.dependencies.utils
    import fastapi.routing

    import app.api.params

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for module in (app.api.params, fastapi.dependencies.utils, fastapi.routing):
        module.run_in_threadpool = inline  # type: ignore[attr-defined]


async def main_async(args: argparse.Namespace) -> None:
    from app.config import Settings
    from app.main import create_app
    from bench.ceiling import app as ceiling

    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "corpus.db"
        shutil.copyfile(args.db, db)
        cases = [
            c for c in build_cases(db) if any(h in c.name for h in HOT) and "collapse" not in c.name
        ]
        app = create_app(Settings(DATABASE_URL=f"sqlite:///{db}", RESPONSE_CACHE_MB=0))
        inbox, task = await _lifespan(app)
        logging.getLogger("app.access").setLevel(logging.WARNING)  # one line per request
        base = await cpu_per_request(ceiling, "/const", args.n)
        print(f"ceiling /const: {base:.3f} ms CPU per request (in process)")
        for case in cases:
            status, _ = await request(app, case.path)
            ms = await cpu_per_request(app, case.path, args.n)
            print(f"{case.name}: {ms:.3f} ms (status {status})")
            if args.profile and args.profile in case.name:
                _inline_threads()  # cProfile sees only the thread that enables it
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.n):
                    await request(app, case.path)
                profile.disable()
                stats = pstats.Stats(profile).strip_dirs().sort_stats(args.sort)
                stats.print_stats(args.top)
        await inbox.put({"type": "lifespan.shutdown"})
        await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(".bench/cache/real.db"))
    parser.add_argument("--n", type=int, default=2000, help="requests per case")
    parser.add_argument("--profile", help="cProfile the cases whose name contains this")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=40)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
