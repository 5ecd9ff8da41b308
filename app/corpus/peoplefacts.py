"""What the people stage (``app.corpus.people``) reads to decide: the entities of each surname,
and the story, source, date and co-mentioned entities of the articles that name them."""

import struct
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.corpus.peoplerules import PERIOD_DAYS
from app.corpus.peoplewords import (
    COMMON_WORDS,
    GIVEN_NAMES,
    MONONYMS,
    in_list,
    stray_context,
    written_as_word,
)
from app.db.folding import folded
from app.db.models import Article, Entity, Mention
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


def blocked_out(
    session: Session, units: list[tuple[int, int]], names: dict[int, str]
) -> list[tuple[int, int]]:
    """The bare-surname units (article, own entity) that may join a full name at all: not a
    common given name or word or a one-name person, not a name typed otherwise in the corpus
    at least half as often (``Bolton`` the club, ``Labour`` the party) nor a word of another
    type's name in the same article (``Leicester City``) nor written there in lower case
    (``jobs``), no mention where a longer name is
    (``peoplewords.stray_context``) and not only mentions in a line-up
    (``peoplewords.in_list``)."""
    keys = {own: folded(names[own]) or "" for _, own in units}
    wanted = {k for k in keys.values() if k not in GIVEN_NAMES | COMMON_WORDS | MONONYMS}
    if wanted:
        # typed otherwise at least half as often as the person: a club, a party, a place
        otherwise = dict(
            session.execute(
                select(col(Entity.name_key), func.count())
                .select_from(Mention)
                .join(Entity, col(Entity.id) == Mention.entity_id)
                .where(col(Entity.name_key).in_(sorted(wanted)))
                .where(col(Entity.type) != "PERSON")
                .group_by(col(Entity.name_key))
            ).all()
        )
        own = func.coalesce(col(Mention.local_entity_id), col(Mention.entity_id))
        person = dict(
            session.execute(
                select(own, func.count())
                .where(
                    or_(
                        col(Mention.entity_id).in_(sorted(keys)),
                        col(Mention.local_entity_id).in_(sorted(keys)),
                    )
                )
                .group_by(own)
            ).all()
        )
        wanted -= {
            keys[i] for i in keys if 2 * int(otherwise.get(keys[i]) or 0) >= person.get(i, 1)
        }
    units = [u for u in units if keys[u[1]] in wanted]
    if not units:
        return []
    articles = sorted({a for a, _ in units})
    owns = sorted({own for _, own in units})
    spans: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    bodies: dict[int, str] = {}
    others: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(articles), 500):
        chunk = articles[start : start + 500]
        own = func.coalesce(col(Mention.local_entity_id), col(Mention.entity_id))
        for article_id, entity_id, begin, end in session.execute(
            select(col(Mention.article_id), own, col(Mention.start), col(Mention.end))
            .where(col(Mention.article_id).in_(chunk))
            .where(own.in_(owns))
        ):
            spans[(int(article_id), int(entity_id))].append((int(begin), int(end)))
        bodies.update(
            session.execute(
                select(col(Article.id), col(Article.body)).where(col(Article.id).in_(chunk))
            ).all()
        )
        for article_id, name_key in session.execute(
            select(col(Mention.article_id), col(Entity.name_key))
            .join(Entity, col(Entity.id) == Mention.entity_id)
            .where(col(Mention.article_id).in_(chunk))
            .where(col(Entity.type) != "PERSON")
            .distinct()
        ):
            others[int(article_id)].update((name_key or "").split())
    return [
        u
        for u in units
        if keys[u[1]] not in others[u[0]]
        and not written_as_word(bodies.get(u[0]) or "", names[u[1]])
        and not any(stray_context(bodies.get(u[0]) or "", b, e) for b, e in spans[u])
        and not all(in_list(bodies.get(u[0]) or "", b, e) for b, e in spans[u])
    ]
