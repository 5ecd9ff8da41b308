"""People: one person, one entity across the corpus (issue 20). After an article's own linking,
a full name written differently (``George W. Bush``, ``George W Bush``) joins its variant group's
entity, and a bare surname (``Bush``) joins the full name the evidence points to
(``peoplerules.choose``). A mention or quote moved keeps the article's own entity in
``local_entity_id`` / ``speaker_local_entity_id``, so that the decision can be taken again
when the corpus changes; an entity none of whose mentions is its own any more gets
``merged_into`` and leaves the lists. Runs inside the store stage's transaction, after the
articles of a batch are saved, so concurrent writers (serialised by the write lock) see one
another's decisions.

Incremental: the bare surnames of the new articles are decided against the corpus as it is;
every bare surname of a key is decided again only when the key's full names change (a new
one, or one whose last own mention went)."""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session, col

from app.corpus.peoplefacts import (
    Feature,
    Flags,
    article_counts,
    blocked_out,
    facts_of,
    people_of,
    same_period,
)
from app.corpus.peoplerules import (
    MIN_INFORMATION,
    Evidence,
    canonical_order,
    choose,
    information,
    is_bare,
    shortens,
    variants,
)
from app.corpus.peoplewords import is_initialled, person_shaped
from app.corpus.quotations import refresh_quotations
from app.db.folding import folded
from app.db.models import Article, Entity, Mention, Quote, pack_ids

Unit = tuple[int, int]  # (article id, the article's own entity id)


def link_people(
    session: Session,
    *,
    article_ids: Collection[int] = (),
    created: Collection[int] = (),
    touched: Collection[int] = (),
) -> set[int]:
    """Link the people of the new (or re-extracted) ``article_ids`` across the corpus, and
    decide again every surname whose full names changed (``created`` entities, or ``touched``
    ones that lost their last own mention). The ids of the entities whose counts changed."""
    session.flush()
    changed_keys = _changed_keys(session, set(created), set(touched))
    keys: dict[str, set[int] | None] = dict.fromkeys(changed_keys)
    if article_ids:
        rows = session.execute(
            select(col(Mention.article_id), col(Entity.surname_key))
            .join(Entity, col(Entity.id) == Mention.entity_id)
            .where(col(Mention.article_id).in_(list(article_ids)))
            .where(col(Entity.surname_key).is_not(None))
            .distinct()
        )
        for article_id, key in rows:
            if key not in keys:
                keys[key] = set()
            if keys[key] is not None:
                keys[key].add(article_id)  # type: ignore[union-attr]
    linker = _Linker(session)
    people = people_of(session, list(keys))
    for key, only in sorted(keys.items()):
        # one person of this surname, or only full names none of which has a variant or is
        # merged: nothing to decide (most surnames of a batch)
        mine = people.get(key, [])
        if len(mine) > 1 and (
            any(_unit_name(r.name) or r.merged_into is not None for r in mine)
            or _any_variants([r.name for r in mine])
        ):
            linker.relink(key, only, {r.id: r for r in mine})
        else:
            linker.entities.update(r.id for r in mine if r.merged_into is not None)
    linker.finish(() if article_ids else touched)
    return linker.entities


def _unit_name(name: str) -> bool:
    """A name that may join a full name: a bare surname, or one after an initial."""
    return is_bare(name) or is_initialled(name)


def _any_variants(names: list[str]) -> bool:
    full = [n for n in names if not is_bare(n)]
    return any(variants(a, b) for i, a in enumerate(full) for b in full[i + 1 :])


def link_surnames(session: Session, keys: Iterable[str]) -> set[int]:
    """Decide every unit of the given surnames again (a database whose people were never
    linked: the migration); the ids of the entities whose counts changed."""
    session.flush()
    linker = _Linker(session)
    keys = list(keys)
    people = people_of(session, keys)
    for key in keys:
        linker.relink(key, None, {r.id: r for r in people.get(key, [])})
    linker.finish(())
    return linker.entities


def _changed_keys(session: Session, created: set[int], touched: set[int]) -> set[str]:
    """The surnames whose evidence changed: of the full names an article added or removed
    mentions (a new candidate, one gone, or one named in more or fewer articles, stories,
    sources and periods), whose every unit is decided again, so that a bare surname stored
    before the evidence came joins it, and one whose evidence went leaves."""
    ids = sorted(created | touched)
    keys: set[str] = set()
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(col(Entity.name), col(Entity.surname_key)).where(
                col(Entity.id).in_(ids[start : start + 500]),
                col(Entity.surname_key).is_not(None),
            )
        ).all()
        keys |= {row.surname_key for row in rows if not _unit_name(row.name)}
    return keys


def _own(session: Session, ids: list[int]) -> set[int]:
    """Which of the entities still have a mention of their own (moved or not)."""
    moved = select(col(Mention.local_entity_id)).where(col(Mention.local_entity_id).in_(ids))
    kept = select(col(Mention.entity_id)).where(
        col(Mention.entity_id).in_(ids), col(Mention.local_entity_id).is_(None)
    )
    return {int(i) for i in session.execute(moved.union(kept)).scalars()}


class _Linker:
    """The decisions of one call, and what they touched."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.entities: set[int] = set()
        self.articles: set[int] = set()
        self.quotes: set[int] = set()
        self.names: dict[int, str] = {}
        self.total = 0

    def relink(self, key: str, only: set[int] | None, people: dict[int, Any]) -> None:
        """Decide again the units of one surname (its ``people``): every one (``only`` None)
        or those of the given articles."""
        session = self.session
        self.names.update({i: row.name for i, row in people.items()})
        full = [i for i, row in people.items() if not is_bare(row.name) and person_shaped(row.name)]
        alive = _own(session, full) if full else set()
        target = self._groups([i for i in full if i in alive])
        units = self._units(list(people), only)
        bare_units = [u for u in units if u[1] not in target and _unit_name(people[u[1]].name)]
        decided: dict[Unit, int] = {u: target.get(u[1], u[1]) for u in units}
        self.entities.update(u[1] for u in bare_units)
        flags = {}
        if bare_units and target:
            flags = blocked_out(session, bare_units, {u[1]: people[u[1]].name for u in units})
        if flags:
            candidates = [
                c
                for c in sorted(set(target.values()))
                if not any(shortens(self.names[c], self.names[d]) for d in target.values())
            ]
            groups: dict[int, list[int]] = defaultdict(list)
            for member, canonical in target.items():
                groups[canonical].append(member)
            decided.update(self._decide(key, flags, candidates, groups, set(people)))
        for unit, now in units.items():
            if decided[unit] != now:
                self._move(unit, decided[unit], people)

    def _groups(self, full: list[int]) -> dict[int, int]:
        """Each live full name's canonical entity: its variant group's first by
        ``canonical_order`` (union of variant pairs)."""
        parent = {i: i for i in full}

        def root(x: int) -> int:
            while parent[x] != x:
                x = parent[x]
            return x

        for n, a in enumerate(full):
            for b in full[n + 1 :]:
                if variants(self.names[a], self.names[b]):
                    parent[root(a)] = root(b)
        members: dict[int, list[int]] = defaultdict(list)
        for i in full:
            members[root(i)].append(i)
        target = {}
        for group in members.values():
            first = min(group, key=lambda i: canonical_order(self.names[i], i))
            target.update(dict.fromkeys(group, first))
        return target

    def _units(self, ids: list[int], only: set[int] | None) -> dict[Unit, int]:
        """(article, own entity) → the entity its mentions and quotes are on now."""
        units: dict[Unit, int] = {}
        for table, local, current in (
            (Mention, Mention.local_entity_id, Mention.entity_id),
            (Quote, Quote.speaker_local_entity_id, Quote.speaker_entity_id),
        ):
            own = func.coalesce(col(local), col(current))
            statement = (
                select(col(table.article_id), own, col(current))
                .where(or_(col(current).in_(ids), col(local).in_(ids)))
                .distinct()
            )
            if only is not None:
                statement = statement.where(col(table.article_id).in_(list(only)))
            wanted = set(ids)
            for article_id, entity_id, now in self.session.execute(statement):
                if entity_id in wanted:
                    units.setdefault((int(article_id), int(entity_id)), int(now))
        return units

    def _decide(
        self,
        key: str,
        units: dict[Unit, Flags],
        candidates: list[int],
        groups: dict[int, list[int]],
        people: set[int],
    ) -> dict[Unit, int]:
        """The entity each bare-surname unit goes to: a candidate, or its own. Co-mentioned
        people count by surname, the surname itself not at all."""
        session = self.session
        if not self.total:
            self.total = session.execute(select(func.count()).select_from(Article)).scalar_one()
        named: dict[int, set[int]] = {}
        for canonical in candidates:
            members = groups[canonical]
            rows = session.execute(
                select(col(Mention.article_id))
                .where(
                    or_(
                        col(Mention.local_entity_id).in_(members),
                        and_(
                            col(Mention.entity_id).in_(members),
                            col(Mention.local_entity_id).is_(None),
                        ),
                    )
                )
                .distinct()
            )
            named[canonical] = {int(a) for a in rows.scalars()}
        articles = {a for a, _ in units} | set().union(*named.values())
        facts = facts_of(session, articles)
        # the surname itself, and its people by id: an article whose surname was moved onto a
        # candidate lists the candidate, which must not count as evidence for keeping it there
        ignored: set[Feature] = {key, *people}
        counts = article_counts(
            session, {e for a, _ in units for e in facts[a][3]} - ignored if facts else set()
        )
        profiles = {
            c: Counter(e for a in named[c] if a in facts for e in facts[a][3] | facts[a][4])
            for c in candidates
        }
        weight = {e: information(self.total, n) for e, n in counts.items()}
        weight = {e: w for e, w in weight.items() if w >= MIN_INFORMATION}
        decided = {}
        for unit, flag in units.items():
            article_id, own = unit
            mine = facts.get(article_id)
            if mine is None:
                continue
            evidence = {}
            for c in candidates:
                if flag.initial and not _first_letter(self.names[c]) == flag.initial:
                    continue
                others = named[c] - {article_id}
                if not others:
                    continue
                shared = sum(
                    weight[e]
                    for e in mine[3] - ignored
                    if weight.get(e) and profiles[c][e] - (1 if article_id in named[c] else 0) > 0
                )
                evidence[c] = Evidence(
                    story=mine[0] is not None and any(facts[a][0] == mine[0] for a in others),
                    period=same_period(mine, [facts[a] for a in others]),
                    shared=shared,
                    articles=len(others),
                )
            decided[unit] = (
                choose(evidence, listed=flag.listed, initialled=flag.initial is not None) or own
            )
        return decided

    def _move(self, unit: Unit, to: int, people: dict[int, Any]) -> None:
        """Put one article's mentions and quotes of its own entity on ``to`` (its own: back)."""
        session = self.session
        article_id, own = unit
        local = None if to == own else own
        name = (
            self.names.get(to)
            or session.execute(select(col(Entity.name)).where(col(Entity.id) == to)).scalar_one()
        )
        self.names[to] = name
        session.execute(
            update(Mention)
            .where(col(Mention.article_id) == article_id)
            .where(
                or_(
                    col(Mention.local_entity_id) == own,
                    and_(col(Mention.entity_id) == own, col(Mention.local_entity_id).is_(None)),
                )
            )
            .values(entity_id=to, local_entity_id=local)
            .execution_options(synchronize_session=False)
        )
        moved = session.execute(
            update(Quote)
            .where(col(Quote.article_id) == article_id)
            .where(
                or_(
                    col(Quote.speaker_local_entity_id) == own,
                    and_(
                        col(Quote.speaker_entity_id) == own,
                        col(Quote.speaker_local_entity_id).is_(None),
                    ),
                )
            )
            .values(
                speaker_entity_id=to,
                speaker_local_entity_id=local,
                speaker=name,
                speaker_key=folded(name),
            )
            .returning(col(Quote.quotation_id))
            .execution_options(synchronize_session=False)
        )
        self.quotes |= {int(q) for q in moved.scalars() if q is not None}
        self.articles.add(article_id)
        self.entities |= {own, to}
        if local is not None:
            target = session.get(Entity, to)
            assert target is not None
            written = {people[own].name, *people[own].aliases} - {target.name}
            if not written <= set(target.aliases):
                target.aliases = sorted(set(target.aliases) | written)
                session.add(target)

    def finish(self, touched: Iterable[int]) -> None:
        """Repack the moved articles' entity ids, recount their quotations, and set
        ``merged_into`` of every entity that moved or was touched."""
        session = self.session
        session.flush()
        for article_id in self.articles:
            ids = session.execute(
                select(col(Mention.entity_id)).where(col(Mention.article_id) == article_id)
            ).scalars()
            session.execute(
                update(Article)
                .where(col(Article.id) == article_id)
                .values(entity_ids=pack_ids(ids))
                .execution_options(synchronize_session=False)
            )
        if self.quotes:
            refresh_quotations(session, sorted(self.quotes))
        entity_ids = sorted(self.entities | set(touched))
        for start in range(0, len(entity_ids), 500):
            _set_merged(session, entity_ids[start : start + 500])


def _first_letter(name: str) -> str:
    return (folded(name) or " ")[:1]


def _set_merged(session: Session, ids: list[int]) -> None:
    """``merged_into``: the entity most of an entity's mentions went to when none is left on
    it; None while it has one."""
    rows = session.execute(
        select(
            func.coalesce(col(Mention.local_entity_id), col(Mention.entity_id)),
            col(Mention.entity_id),
            func.count(),
        )
        .where(or_(col(Mention.entity_id).in_(ids), col(Mention.local_entity_id).in_(ids)))
        .group_by(func.coalesce(col(Mention.local_entity_id), col(Mention.entity_id)))
        .group_by(col(Mention.entity_id))
    ).all()
    went: dict[int, Counter[int]] = defaultdict(Counter)
    for own, now, count in rows:
        if own in ids:
            went[int(own)][int(now)] += int(count)
    merged = {
        i: (None if i in went[i] or not went[i] else went[i].most_common(1)[0][0]) for i in ids
    }
    current = dict(
        session.execute(
            select(col(Entity.id), col(Entity.merged_into)).where(col(Entity.id).in_(ids))
        ).all()
    )
    for entity_id, into in merged.items():
        if entity_id in current and current[entity_id] != into:
            session.execute(
                update(Entity)
                .where(col(Entity.id) == entity_id)
                .values(merged_into=into)
                .execution_options(synchronize_session=False)
            )
