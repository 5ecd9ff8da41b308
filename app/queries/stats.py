"""Corpus statistics: the row counts that triggers keep in ``corpus_count`` (no table is
counted on a request)."""

from sqlalchemy import text
from sqlmodel import Session

from app.db.models import CorpusStats
from app.queries import read
from app.queries.entities import merged_count


def get_stats(*, session: Session) -> CorpusStats:
    totals = dict(read(session, text("SELECT name, total FROM corpus_count")).all())
    return CorpusStats(
        articles=totals.get("article", 0),
        quotes=totals.get("quote", 0),
        # merged entities (app.corpus.people) answer as the one they joined: not counted
        entities=totals.get("entity", 0) - merged_count(session),
    )
