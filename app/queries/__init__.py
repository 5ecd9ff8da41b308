"""Read functions behind the API: keyword-only arguments, return rows or ``(rows, total)``;
lists page by offset or, faster for deep pages, by a keyset cursor."""

import base64
import binascii
import json
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, String, and_, func, literal_column, or_, tuple_, union
from sqlmodel import Session, SQLModel, select

from app.errors import InvalidCursor


def read(session: Session, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
    """Run a SELECT on the session's connection, skipping the ORM: these reads want rows, and
    the ORM's loading machinery costs more than the query itself."""
    return session.connection().execute(statement, parameters)


def rows_of(model: type[SQLModel]) -> Any:
    """SELECT every column of a table as plain rows: reading them costs a fraction of building
    ORM objects, and the response schemas validate them by attribute all the same."""
    return select(*model.__table__.columns)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Order:
    """An ORDER BY over columns in one direction that ends with a unique column, so paging can
    resume right after any row (keyset pagination). The first column may hold NULLs, which
    sort last."""

    columns: tuple[Any, ...]
    descending: bool = False
    first_nullable: bool = False

    def clauses(self) -> list[Any]:
        clauses = []
        for i, column in enumerate(self.columns):
            clause = column.desc() if self.descending else column.asc()
            clauses.append(clause.nulls_last() if i == 0 and self.first_nullable else clause)
        return clauses

    def after(self, values: list[Any]) -> Any:
        """Rows that come after the row whose sort values are ``values``."""
        beyond = operator.lt if self.descending else operator.gt
        if not self.first_nullable:
            return beyond(tuple_(*self.columns), tuple_(*values))
        first = self.columns[0]
        if values[0] is None:  # already in the NULL tail
            return and_(first.is_(None), beyond(tuple_(*self.columns[1:]), tuple_(*values[1:])))
        return or_(first.is_(None), beyond(tuple_(*self.columns), tuple_(*values)))

    def cursor(self, row: Any) -> str:
        values = [getattr(row, column.key) for column in self.columns]
        text = json.dumps([v.isoformat() if isinstance(v, date) else v for v in values])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.columns):
                raise ValueError("wrong length")
            return [_typed(c, v) for c, v in zip(self.columns, values, strict=True)]
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise InvalidCursor("The cursor is not one this list gave out.") from exc


# every integer column is 32-bit on PostgreSQL (app.engines.MAX_ID)
_MAX_INT = 2**31 - 1


def _typed(column: Any, value: Any) -> Any:
    """A cursor value of the column's own type, or ValueError: a tampered cursor must not reach
    SQL as a list, a string in an integer column or an integer the column cannot hold."""
    if value is None:
        return None
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    # SQLModel's AutoString decorates a String
    sql_type = getattr(column.type, "impl", column.type)
    if isinstance(sql_type, Integer):
        if type(value) is int and -_MAX_INT <= value <= _MAX_INT:
            return value
    elif isinstance(sql_type, String) and isinstance(value, str):
        return value
    raise ValueError(f"{value!r} does not fit {column.key}")


def fetch_page(
    session: Session,
    statement: Any,
    *,
    order: Order,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    count_up_to: int | None = None,
    any_of: tuple[Any, ...] = (),
) -> tuple[list[Any], int, str | None]:
    """One page of ``statement`` in ``order`` (by offset, or after a cursor), the total (one
    past ``count_up_to`` when the count stopped there), and the cursor of the next page (None
    on the last).

    ``any_of``: conditions of which each row meets one, each with an index in ``order``. The
    page is then the first rows of each condition's walk of its index, merged, rather than
    every row of their OR sorted (quotes by a name written or resolved: 125,000 rows for one
    speaker at a million articles)."""
    key = order.columns[-1]
    total = _count(session, statement, count_up_to, any_of, key)
    after = order.after(order.decode(cursor)) if cursor is not None else None
    matching = statement
    if any_of:
        walks = [statement.where(condition) for condition in any_of]
        if after is not None:
            walks = [walk.where(after) for walk in walks]
        firsts = _firsts(walks, key, offset + limit + 1, order)
        matching = statement.where(key.in_(firsts))
    ordered = matching.order_by(*order.clauses())
    if after is not None:
        ordered = ordered.where(after)
    rows = list(read(session, ordered.limit(limit + 1).offset(offset)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, total, order.cursor(rows[-1]) if more and rows else None


def _count(
    session: Session,
    statement: Any,
    count_up_to: int | None,
    any_of: tuple[Any, ...],
    key: Any,
) -> int:
    """The rows of ``statement`` (meeting one of ``any_of``), counted up to one past
    ``count_up_to``. With ``any_of``, each condition's rows are counted up to the bound, then
    the union of their first rows: when the whole is past the bound one of them is, or else
    each is whole."""
    if count_up_to is None:
        counted = statement.where(or_(*any_of)) if any_of else statement
        return int(read(session, select(func.count()).select_from(counted.subquery())).scalar_one())
    walks = [statement.where(condition) for condition in any_of] or [statement]
    for walk in walks:  # one past the bound alone: the rest need not be counted
        ones = walk.with_only_columns(literal_column("1"), maintain_column_froms=True)
        bounded = select(func.count()).select_from(ones.limit(count_up_to + 1).subquery())
        if (total := int(read(session, bounded).scalar_one())) > count_up_to or not any_of:
            return total
    union_ = _firsts(walks, key, count_up_to + 1).subquery()
    total = int(read(session, select(func.count()).select_from(union_)).scalar_one())
    return min(total, count_up_to + 1)


def _firsts(walks: list[Any], key: Any, n: int, order: "Order | None" = None) -> Any:
    """The union of each statement's first ``n`` keys (in ``order``, or as found)."""
    firsts = []
    for walk in walks:
        keys = walk.with_only_columns(key)
        if order is not None:
            keys = keys.order_by(*order.clauses())
        firsts.append(select(keys.limit(n).subquery().c[0]))
    return union(*firsts)


def stream(session: Session, statement: Any, order: Order) -> Iterator[Any]:
    """Every row of ``statement`` in ``order``, fetched in chunks rather than all at once."""
    ordered = statement.order_by(*order.clauses())
    yield from read(session, ordered.execution_options(yield_per=500))
