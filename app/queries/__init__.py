"""Read functions behind the API: keyword-only arguments, return rows or ``(rows, total)``."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select


def fetch_page(
    session: Session, statement: Any, *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """Run ``statement`` for one page and count all of its rows."""
    count: Any = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.exec(count).one()
    items = list(session.exec(statement.limit(limit).offset(offset)))
    return items, total


def stream(session: Session, statement: Any) -> Iterator[Any]:
    """Every row of ``statement``, fetched in chunks rather than all at once."""
    yield from session.exec(statement.execution_options(yield_per=500))
