"""What the people stage (``app.corpus.people``) reads to decide: the entities of each surname,
and the story, source, date and co-mentioned entities of the articles that name them."""

import struct
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.corpus.peoplerules import PERIOD_DAYS
from app.db.models import Article, Entity
from app.db.stories import StoryArticle

Facts = tuple[int | None, str | None, date | None, set[int]]


def people_of(session: Session, keys: list[str]) -> dict[str, list[Any]]:
    """The entities of each surname, in one query per 500 surnames."""
    found: dict[str, list[Any]] = defaultdict(list)
    for start in range(0, len(keys), 500):
        for row in session.execute(
            select(
                col(Entity.id),
                col(Entity.name),
                col(Entity.aliases),
                col(Entity.merged_into),
                col(Entity.surname_key),
            ).where(col(Entity.surname_key).in_(keys[start : start + 500]))
        ):
            found[row.surname_key].append(row)
    return found


def facts_of(session: Session, articles: set[int]) -> dict[int, Facts]:
    facts: dict[int, Facts] = {}  # story, source, date and entity ids of each article
    ids = sorted(articles)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(
                col(Article.id),
                col(StoryArticle.story_id),
                col(Article.source),
                col(Article.published),
                col(Article.entity_ids),
            )
            .outerjoin(StoryArticle, col(StoryArticle.article_id) == Article.id)
            .where(col(Article.id).in_(chunk))
        )
        for article_id, story, source, published, packed in rows:
            entity_ids = set(_unpack(packed))
            facts[int(article_id)] = (story, source, published, entity_ids)
    return facts


def _unpack(packed: bytes | None) -> list[int]:
    return list(struct.unpack(f"<{len(packed) // 8}q", packed)) if packed else []


def article_counts(session: Session, ids: set[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(col(Entity.id), col(Entity.article_count)).where(
                col(Entity.id).in_(ordered[start : start + 500])
            )
        )
        counts.update({int(i): max(int(n), 1) for i, n in rows})
    return counts


def same_period(mine: Facts, others: list[Facts]) -> bool:
    if mine[1] is None or mine[2] is None:
        return False
    return any(
        f[1] == mine[1] and f[2] is not None and abs((f[2] - mine[2]).days) <= PERIOD_DAYS
        for f in others
    )
