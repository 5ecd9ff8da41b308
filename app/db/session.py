"""The session dependency, and the type of the corpus's change token."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

ChangeToken = tuple[int, datetime]
"""A counter that grows with every committed change to the corpus, and when it last grew."""


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one route call. It is async so that opening and closing it need no worker
    thread, and (with ``scope="function"``) it gives its connection back as soon as the route
    returns, before the response is sent."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
