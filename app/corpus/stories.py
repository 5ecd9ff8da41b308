"""Stories: each article joins the story of the articles it nearly duplicates (LSH candidates
from ``story_band``, confirmed by their real Jaccard similarity), and leaving one splits what
is left into the groups that still hold together. Runs inside the store stage's transaction."""

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import (
    LargeBinary,
    bindparam,
    delete,
    insert,
    nulls_last,
    select,
    text,
    update,
)
from sqlalchemy.sql import Executable
from sqlmodel import Session, col

from app.corpus.quotations import recount_stories
from app.corpus.shingles import (
    BANDS,
    THRESHOLD,
    decided,
    keys_of,
    overlap,
    packed,
    packed_shingles,
    shingles,
    signature,
    unpacked,
    unpacked_shingles,
)
from app.db.models import Article
from app.db.stories import Story, StoryArticle, StoryBand, StorySignature


def join_story(session: Session, article_id: int, body: str) -> int:
    """Put a stored article (in no story yet) in the story of the articles it nearly
    duplicates, merging their stories when it bridges several, or in a new one; the story id.
    The statements of an article that stays alone (most do) are prepared once (``_SQL``)."""
    connection = session.connection()
    stored_set = packed_shingles(shingles(body))
    mine = unpacked_shingles(stored_set)
    minhash = signature(mine)
    keys = sorted(set(keys_of(minhash)))
    candidates = {
        int(row.article_id): unpacked(row.minhash)
        for row in connection.execute(_SQL["candidates"], {**_numbered(keys), "id": article_id})
    }
    verdicts = {other: decided(minhash, theirs) for other, theirs in candidates.items()}
    undecided = [other for other, verdict in verdicts.items() if verdict is None]
    for other, theirs in _shingle_sets(session, undecided).items():
        verdicts[other] = overlap(mine, theirs) >= THRESHOLD
    matches = [other for other, verdict in verdicts.items() if verdict]
    if len(keys) == BANDS:  # one statement (almost always: a repeated band key is rare)
        connection.execute(_SQL["bands"], {**_numbered(keys), "id": article_id})
    else:
        connection.execute(_SQL["band"], [{"key": k, "id": article_id} for k in keys])
    connection.execute(
        _SQL["signature"],
        {"id": article_id, "minhash": packed(minhash), "shingles": stored_set},
    )
    stories = sorted(
        set(connection.execute(_SQL["stories"], {"ids": matches}).scalars()) if matches else ()
    )
    if not stories:  # alone: the story's summary is the article's own
        story_id: int = connection.execute(_SQL["alone"], {"id": article_id}).scalar_one()
        connection.execute(_SQL["member"], {"id": article_id, "story": story_id})
        return story_id
    story_id, merged = int(stories[0]), stories[1:]
    if merged:
        session.execute(
            update(StoryArticle)
            .where(col(StoryArticle.story_id).in_(merged))
            .values(story_id=story_id)
        )
        session.execute(delete(Story).where(col(Story.id).in_(merged)))
        recount_stories(session, [story_id])
    connection.execute(_SQL["member"], {"id": article_id, "story": story_id})
    refresh_stories(session, [story_id])
    return story_id


_KEYS = ", ".join(f":k{n}" for n in range(BANDS))


def _numbered(keys: list[int]) -> dict[str, int]:
    """Band keys as the parameters ``k0`` … ``k41``, the last repeated where keys coincide."""
    padded = keys + keys[-1:] * (BANDS - len(keys))
    return {f"k{n}": key for n, key in enumerate(padded)}


_MEMBERS = (
    "FROM story_article AS sa JOIN article AS a ON a.id = sa.article_id WHERE sa.story_id = :story"
)
_FIRST = "ORDER BY a.published IS NULL, a.published, a.id LIMIT 1"
_SQL: dict[str, Executable] = {
    # a fixed list of numbered keys rather than an expanding IN: SQLAlchemy rebuilt that
    # statement for every article (half of the candidate query's CPU)
    "candidates": text(
        "SELECT article_id, minhash FROM story_signature WHERE article_id IN "
        f"(SELECT DISTINCT article_id FROM story_band WHERE key IN ({_KEYS}) AND article_id != :id)"
    ),
    "bands": text(
        "INSERT INTO story_band (key, article_id) VALUES "
        + ", ".join(f"(:k{n}, :id)" for n in range(BANDS))
    ),
    "band": text("INSERT INTO story_band (key, article_id) VALUES (:key, :id)"),
    "signature": text(
        "INSERT INTO story_signature (article_id, minhash, shingles) "
        "VALUES (:id, :minhash, :shingles)"
    ).bindparams(bindparam("minhash", type_=LargeBinary), bindparam("shingles", type_=LargeBinary)),
    "shingles": text(
        "SELECT article_id, shingles FROM story_signature WHERE article_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True)),
    "stories": text(
        "SELECT DISTINCT story_id FROM story_article WHERE article_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True)),
    "alone": text(
        "INSERT INTO story (size, source_count, first_article_id, first_published) "
        "SELECT 1, CASE WHEN source IS NULL THEN 0 ELSE 1 END, id, published FROM article "
        "WHERE id = :id RETURNING id"
    ),
    "member": text("INSERT INTO story_article (article_id, story_id) VALUES (:id, :story)"),
    # the first article is the earliest published (undated last, ties by id)
    "refresh": text(
        f"UPDATE story SET size = (SELECT count(*) {_MEMBERS}), "
        f"source_count = (SELECT count(DISTINCT a.source) {_MEMBERS}), "
        f"first_article_id = coalesce((SELECT a.id {_MEMBERS} {_FIRST}), first_article_id), "
        f"first_published = (SELECT a.published {_MEMBERS} {_FIRST}) "
        "WHERE id = :story RETURNING size"
    ),
    "drop": text("DELETE FROM story WHERE id = :story"),
}


def leave_story(session: Session, article_id: int) -> None:
    """Take an article out of its story (before it is deleted or its text replaced): its band
    rows go, and the rest of the story is split into the groups that still hold together (the
    group of the earliest article keeps the story's id)."""
    story_id = session.execute(
        select(col(StoryArticle.story_id)).where(col(StoryArticle.article_id) == article_id)
    ).scalar()
    session.execute(delete(StoryBand).where(col(StoryBand.article_id) == article_id))
    session.execute(delete(StorySignature).where(col(StorySignature.article_id) == article_id))
    if story_id is None:
        return
    session.execute(delete(StoryArticle).where(col(StoryArticle.article_id) == article_id))
    members = _signatures(
        session, select(col(StoryArticle.article_id)).where(col(StoryArticle.story_id) == story_id)
    )
    if not members:
        session.execute(delete(Story).where(col(Story.id) == story_id))
        return
    groups = _groups(session, members)
    touched = [story_id]
    for group in groups[1:]:
        new_id = _new_story(session, group[0])
        session.execute(
            update(StoryArticle)
            .where(col(StoryArticle.article_id).in_(group))
            .values(story_id=new_id)
        )
        touched.append(new_id)
    refresh_stories(session, touched)
    if len(touched) > 1:
        recount_stories(session, touched)


def refresh_stories(session: Session, story_ids: Iterable[int]) -> None:
    """Recount each story's size and sources and find its first article again, in one
    prepared statement a story (built with the ORM for each, this cost more than the rest of
    a join); a story left with no article is deleted."""
    connection = session.connection()
    for story_id in story_ids:
        size = connection.execute(_SQL["refresh"], {"story": story_id}).scalar()
        if size == 0:
            connection.execute(_SQL["drop"], {"story": story_id})


def refresh_story_of(session: Session, article_id: int) -> None:
    """Refresh the story of an article whose date or source changed."""
    story_id = session.execute(
        select(col(StoryArticle.story_id)).where(col(StoryArticle.article_id) == article_id)
    ).scalar()
    if story_id is not None:
        refresh_stories(session, [story_id])


def _new_story(session: Session, article_id: int) -> int:
    story_id: int = session.execute(
        insert(Story)
        .values(size=0, source_count=0, first_article_id=article_id)
        .returning(col(Story.id))
    ).scalar_one()
    return story_id


def _signatures(session: Session, ids: Any) -> dict[int, np.ndarray[Any, Any]]:
    """The stored signatures of the articles the subquery ``ids`` selects, by id."""
    rows = session.execute(
        select(col(StorySignature.article_id), col(StorySignature.minhash))
        .where(col(StorySignature.article_id).in_(ids))
        .order_by(col(StorySignature.article_id))
    )
    return {int(row.article_id): unpacked(row.minhash) for row in rows}


def _shingle_sets(session: Session, ids: list[int]) -> dict[int, np.ndarray[Any, Any]]:
    """The stored shingle sets of the given articles (those whose signatures left the verdict
    open); a row stored before sets were (its ``shingles`` null) is shingled from its body."""
    if not ids:
        return {}
    rows = session.connection().execute(_SQL["shingles"], {"ids": ids}).all()
    sets = {int(r.article_id): unpacked_shingles(r.shingles) for r in rows if r.shingles}
    missing = [i for i in ids if i not in sets]
    if missing:
        bodies = session.execute(
            select(col(Article.id), col(Article.body)).where(col(Article.id).in_(missing))
        )
        for row in bodies:
            sets[int(row.id)] = unpacked_shingles(packed_shingles(shingles(row.body)))
    return sets


def _groups(session: Session, members: dict[int, np.ndarray[Any, Any]]) -> list[list[int]]:
    """The members in connected groups (an edge: a shared band key and ``near_duplicates``),
    the group holding the earliest-published member first."""
    ids = list(members)

    parent = {article_id: article_id for article_id in ids}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_key: dict[int, list[int]] = {}
    rows = session.execute(
        select(col(StoryBand.key), col(StoryBand.article_id)).where(
            col(StoryBand.article_id).in_(ids)
        )
    )
    for key, article_id in rows:
        by_key.setdefault(key, []).append(article_id)
    verdicts: dict[tuple[int, int], bool | None] = {}
    for sharing in by_key.values():
        for i, a in enumerate(sharing):
            for b in sharing[i + 1 :]:
                pair = (min(a, b), max(a, b))
                if pair not in verdicts:
                    verdicts[pair] = decided(members[a], members[b])
    for (a, b), verdict in verdicts.items():
        if verdict:
            parent[root(a)] = root(b)
    # the real similarity only where the signatures left it open and no path joins the two yet
    undecided = [(a, b) for (a, b), v in verdicts.items() if v is None and root(a) != root(b)]
    sets = _shingle_sets(session, sorted({a for pair in undecided for a in pair}))
    for a, b in undecided:
        if root(a) != root(b) and overlap(sets[a], sets[b]) >= THRESHOLD:
            parent[root(a)] = root(b)
    grouped: dict[int, list[int]] = {}
    for article_id in ids:
        grouped.setdefault(root(article_id), []).append(article_id)
    order = {
        row.id: i
        for i, row in enumerate(
            session.execute(
                select(col(Article.id))
                .where(col(Article.id).in_(ids))
                .order_by(nulls_last(col(Article.published).asc()), col(Article.id))
            )
        )
    }
    return sorted(grouped.values(), key=lambda group: min(order[a] for a in group))
