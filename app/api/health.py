"""Liveness and readiness: is the database reachable, and what does it hold."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import func, select

from app.api.params import SummaryRoute
from app.db.models import Article, Entity, HealthStatus, Quote
from app.db.session import SessionDep
from app.errors import problem

router = APIRouter(tags=["system"], route_class=SummaryRoute)


@router.get(
    "/health",
    response_model=HealthStatus,
    responses={
        503: {
            "description": "The database is unreachable (problem+json)",
            "content": {"application/problem+json": {}},
        }
    },
)
def get_health(request: Request, session: SessionDep) -> HealthStatus | JSONResponse:
    """Report whether the database answers, with row counts."""
    try:
        articles, quotes, entities = (
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Article, Quote, Entity)
        )
    except SQLAlchemyError as exc:
        return problem(
            request,
            503,
            slug="database-unreachable",
            title="Database unreachable",
            detail=f"The database did not answer: {type(exc).__name__}.",
        )
    return HealthStatus(
        status="ok", database="reachable", articles=articles, quotes=quotes, entities=entities
    )
