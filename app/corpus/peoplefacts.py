"""What the people stage (``app.corpus.people``) reads to decide: the entities of each surname,
and the story, source, date and co-mentioned entities of the articles that name them."""

import struct
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.corpus.peoplerules import PERIOD_DAYS, is_bare
from app.corpus.peoplewords import (
    COMMON_WORDS,
    GIVEN_NAMES,
    MONONYMS,
    in_list,
    initial_before,
    is_initialled,
    stray_context,
    titled,
    written_as_word,
)
from app.db.folding import folded
from app.db.models import Article, Entity, Mention
from app.db.stories import StoryArticle

Feature = int | str  # an entity id, or a person's surname key
# story, source, date, the entity ids with the surname keys of bare surnames ("Paterson" in a
# line-up), and the surname keys of every person named
Facts = tuple[int | None, str | None, date | None, set[Feature], set[Feature]]


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
    """The story, source, date and co-mentioned features of each article: every entity's id,
    the surname key of a bare surname, and apart the surname key of every person, so that a
    line-up's ``Paterson`` meets a report's ``Chris Paterson`` (but two full names of a surname,
    maybe two people, meet only by id)."""
    facts: dict[int, Facts] = {}
    ids = sorted(articles)
    packed_ids: dict[int, list[int]] = {}
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
            packed_ids[int(article_id)] = _unpack(packed)
            facts[int(article_id)] = (story, source, published, set(), set())
    keyed = _surname_keys(session, {e for found in packed_ids.values() for e in found})
    for article_id, found in packed_ids.items():
        mine, people = facts[article_id][3], facts[article_id][4]
        for e in found:
            key, bare = keyed.get(e, ("", False))
            mine.add(key if bare else e)  # a bare surname once, by its key
            if key:
                people.add(key)
    return facts


def _surname_keys(session: Session, ids: set[int]) -> dict[int, tuple[str, bool]]:
    """The surname key of each person, and whether it is written bare (or after an initial)."""
    keyed: dict[int, tuple[str, bool]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(col(Entity.id), col(Entity.name), col(Entity.surname_key)).where(
                col(Entity.id).in_(ordered[start : start + 500]),
                col(Entity.surname_key).is_not(None),
            )
        )
        keyed.update({int(i): (str(k), is_bare(n) or is_initialled(n)) for i, n, k in rows})
    return keyed


def _unpack(packed: bytes | None) -> list[int]:
    return list(struct.unpack(f"<{len(packed) // 8}q", packed)) if packed else []


def article_counts(session: Session, features: set[Feature]) -> dict[Feature, int]:
    """How many articles name each feature (a surname: the sum over its entities)."""
    counts: dict[Feature, int] = {}
    ordered = sorted(f for f in features if isinstance(f, int))
    for start in range(0, len(ordered), 500):
        rows = session.execute(
            select(col(Entity.id), col(Entity.article_count)).where(
                col(Entity.id).in_(ordered[start : start + 500])
            )
        )
        counts.update({int(i): max(int(n), 1) for i, n in rows})
    keys = sorted(f for f in features if isinstance(f, str))
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(col(Entity.surname_key), func.sum(col(Entity.article_count)))
            .where(col(Entity.surname_key).in_(keys[start : start + 500]))
            .group_by(col(Entity.surname_key))
        )
        counts.update({str(k): max(int(n or 0), 1) for k, n in rows})
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
) -> dict[tuple[int, int], "Flags"]:
    """The bare-surname units (article, own entity) that may join a full name at all: not a
    common given name or word or a one-name person, not a name typed otherwise in the corpus
    at least half as often (``Bolton`` the club, ``Labour`` the party) nor a word of another
    type's name in the same article (``Leicester City``) nor written there in lower case
    (``jobs``), no mention where a longer name is
    (``peoplewords.stray_context``), each with how it is written (``Flags``). An initial
    makes a person of any word ("A Persico (Agen)", typed otherwise elsewhere), a courtesy title
    a surname of a given name or common word ("Mr Howard", "Mrs Green")."""
    keys = {own: folded(names[own]) or "" for _, own in units}
    # a given name or common word is a surname only after a courtesy title ("Mr Howard")
    plain = {k for k in keys.values() if k not in GIVEN_NAMES | COMMON_WORDS}
    wanted = {k for k in keys.values() if k not in MONONYMS}
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
    if not units:
        return {}
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
    allowed: dict[tuple[int, int], Flags] = {}
    for unit in units:
        body = bodies.get(unit[0]) or ""
        if keys[unit[1]] in others[unit[0]] or written_as_word(body, names[unit[1]]):
            continue
        initials = {i for b, _ in spans[unit] if (i := initial_before(body, b))}
        if is_initialled(names[unit[1]]):
            initials.add((folded(names[unit[1]]) or " ")[:1])
        key = keys[unit[1]]
        usable = key in wanted and (key in plain or any(titled(body, b) for b, _ in spans[unit]))
        if (
            len(initials) > 1
            or (not usable and not initials)
            or any(
                stray_context(body, b, e) and initial_before(body, b) is None
                for b, e in spans[unit]
            )
        ):
            continue
        listed = all(in_list(body, b, e) for b, e in spans[unit])
        allowed[unit] = Flags(listed=listed, initial=min(initials) if initials else None)
    return allowed


@dataclass(frozen=True)
class Flags:
    """How a unit that may join a full name is written: only in a line-up (it needs the
    stronger evidence of its team-mates), or after an initial (``G Bulloch``, ``T. Smith``:
    only a full name of that first letter may be it)."""

    listed: bool
    initial: str | None
