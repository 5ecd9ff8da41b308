"""Corpus statistics: how many articles, quotes and entities are stored."""

from fastapi import APIRouter

from app.api.params import SummaryRoute
from app.db.models import CorpusStats
from app.db.session import SessionDep
from app.queries.stats import get_stats

router = APIRouter(tags=["system"], route_class=SummaryRoute)


@router.get("/stats", response_model=CorpusStats)
def get_corpus_stats(session: SessionDep) -> CorpusStats:
    """Count the stored articles, quotes and entities (kept by the database, not counted)."""
    return get_stats(session=session)
