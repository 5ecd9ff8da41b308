"""The framework ceiling: a FastAPI app that answers constant JSON, served by uvicorn with the
settings `corpus serve` uses (uvloop and httptools), one worker. Run as
``python -m bench.ceiling PORT``."""

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()
_BODY = {"items": [{"id": 1, "title": "constant"}], "total": 1, "limit": 20, "offset": 0}


@app.get("/health")
def get_health() -> dict[str, str]:
    """Readiness, as our service has it."""
    return {"status": "ok"}


@app.get("/const")
def get_constant() -> dict[str, object]:
    """A sync route like ours (it runs in the thread pool), with a small constant body."""
    return _BODY


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
    )
