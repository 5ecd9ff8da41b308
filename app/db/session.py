"""The session dependency, and the type of the corpus's change token."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

ChangeToken = tuple[int, datetime]
"""A counter that grows with every committed change to the corpus, and when it last grew."""


@dataclass(frozen=True, eq=False)
class ReadDatabase:
    """A database a read may be answered from: the primary, or one of its read replicas
    (``CORPUS_READ_DATABASE_URLS``, ``app.engines.replicas``)."""

    name: str  # "primary", "replica1", …: a metric's label
    where: str  # host:port/database, never credentials
    engine: Engine  # read-only
    replica: bool

    def __str__(self) -> str:
        return f"{self.name} ({self.where})"


# the request's key for the database its reads go to, set where replicas take reads
READ_DATABASE = "app.read_database"


def read_database(request: Request) -> ReadDatabase | None:
    """The database this request's reads were given to; None without replicas (the primary)."""
    chosen: ReadDatabase | None = request.scope.get(READ_DATABASE)
    return chosen


def read_engine(request: Request) -> Engine:
    """The engine this request's reads go to: a replica's when one was chosen for it."""
    chosen = read_database(request)
    engine: Engine = request.app.state.engine if chosen is None else chosen.engine
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one route call. It is async so that opening and closing it need no worker
    thread, and (with ``scope="function"``) it gives its connection back as soon as the route
    returns, before the response is sent. It reads the database chosen for the request."""
    with Session(read_engine(request)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
