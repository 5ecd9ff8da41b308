"""The search filters (``ArticleFilters``) as SQL conditions over ``article AS a``, shared by
both engines: only how a list of entity ids is bound, and how dates are, differs."""

from collections.abc import Callable
from datetime import date
from typing import Any

from app.db.folding import folded
from app.engines.common import ArticleFilters

# the filters on quotes (speaker, has_quotes) look at speech, as the quote lists do by default
# (app.db.models.SPEECH_KINDS): a stance is not a quote of its holder
_SPEECH = "qt.kind <> 'stance'"
_QUOTED = f"EXISTS (SELECT 1 FROM quote qt WHERE qt.article_id = a.id AND {_SPEECH}"

# how an engine matches articles mentioning entities: (the filters, params to add to) → clauses
EntityClauses = Callable[[ArticleFilters, dict[str, Any]], list[str]]


def filter_clauses(
    filters: ArticleFilters,
    params: dict[str, Any],
    *,
    entities: EntityClauses,
    day: Callable[[date], Any] = lambda value: value,
) -> list[str]:
    """The conditions of ``filters``, their values added to ``params`` (never interpolated);
    ``day`` turns a date into the value the driver binds."""
    clauses: list[str] = []
    for column in ("source", "author"):
        if (value := getattr(filters, column)) is not None:
            clauses.append(f"a.{column} = :{column}")
            params[column] = value
    if filters.published_from is not None:
        clauses.append("a.published >= :published_from")
        params["published_from"] = day(filters.published_from)
    if filters.published_to is not None:
        clauses.append("a.published <= :published_to")
        params["published_to"] = day(filters.published_to)
    if filters.entity_ids:
        clauses += entities(filters, params)
    if filters.speaker_entity_id is not None:
        clauses.append(f"{_QUOTED} AND qt.speaker_entity_id = :speaker_entity_id)")
        params["speaker_entity_id"] = filters.speaker_entity_id
    if filters.speaker is not None:
        clauses.append(
            f"{_QUOTED} AND (qt.speaker_key = :speaker_key OR qt.speaker_text_key = :speaker_key))"
        )
        params["speaker_key"] = folded(filters.speaker)
    if filters.has_quotes is not None:
        clauses.append(f"{_QUOTED})" if filters.has_quotes else f"NOT {_QUOTED})")
    return clauses
