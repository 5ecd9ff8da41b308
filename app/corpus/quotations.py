"""Quotations: each quote of a stored article joins the quotation of the same words (or of a
longer occurrence that holds it, or absorbs shorter ones it holds), with first seen and speaker
consensus kept current. Runs inside the store stage's transaction, after stories."""

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Date, bindparam, delete, insert, select, text, update
from sqlalchemy.sql import Executable
from sqlmodel import Session, col

from app.corpus.quotetext import MIN_TRIMMED_WORDS, fold, grams, groupable, key_of, same_quotation
from app.db.models import Article, Entity, Quote
from app.db.quotations import Quotation, QuotationGram
from app.db.stories import StoryArticle


def group_quotes(session: Session, article_id: int) -> None:
    """Put each groupable quote of a stored article in its quotation. A quote that starts a
    quotation writes its summary at once (its own date, source and speaker); only the
    quotations that gained an occurrence are counted again. The statements are prepared once
    (``_SQL``): built for each quote, SQLAlchemy's statement layer cost more than the work."""
    connection = session.connection()
    rows = connection.execute(_SQL["quotes"], {"article_id": article_id}).all()
    placed: dict[int, int] = {}  # quote id → quotation id, written in one statement at the end
    touched: set[int] = set()
    for row in rows:
        folded = fold(row.text)
        if not groupable(row.kind, folded):
            continue
        keys = _keys(folded)
        matched = _matching(connection, folded, keys)
        if not matched:
            placed[row.id] = _start(connection, row, folded, keys)
            continue
        quotation_id, merged = matched[0][0], [m[0] for m in matched[1:]]
        if merged:
            session.execute(
                update(Quote)
                .where(col(Quote.quotation_id).in_(merged))
                .values(quotation_id=quotation_id)
            )
            placed = {q: quotation_id if p in merged else p for q, p in placed.items()}
            touched -= set(merged)
            _drop(session, merged)
        longest = max(
            [(len(m[1]), m[2], m[1]) for m in matched] + [(len(folded), row.text, folded)]
        )
        if longest[2] != matched[0][1]:
            _set_longest(session, quotation_id, longest[1], longest[2])
        placed[row.id] = quotation_id
        touched.add(quotation_id)
    if placed:
        connection.execute(
            _SQL["place"], [{"quote_id": q, "quotation_id": p} for q, p in placed.items()]
        )
    refresh_quotations(session, touched)


class _Keys(NamedTuple):
    """What finds a folded text's quotation: the key of its words, the key of its first run
    of ``MIN_TRIMMED_WORDS`` words (None when shorter) and the keys of every run."""

    key: int
    first_gram: int | None
    grams: list[int]


def _keys(folded: str) -> _Keys:
    runs = grams(folded)
    first = key_of(" ".join(folded.split()[:MIN_TRIMMED_WORDS])) if runs else None
    return _Keys(key_of(folded), first, runs)


def _matching(connection: Any, folded: str, keys: _Keys) -> list[tuple[int, str, str]]:
    """(id, folded, text) of the quotations a folded text joins, by id: the same words, one it
    is a trimmed variant of, or ones that are trimmed variants of it."""
    if keys.grams:
        found = connection.execute(
            _SQL["candidates"],
            {"key": keys.key, "first_run": keys.first_gram, "grams": keys.grams},
        ).all()
    else:
        found = connection.execute(_SQL["same_key"], {"key": keys.key}).all()
    return sorted((tuple(c) for c in found if same_quotation(folded, c.folded)), key=lambda c: c[0])


def _start(connection: Any, quote: Any, folded: str, keys: _Keys) -> int:
    """A new quotation of one occurrence, its summary written with it; its id."""
    speaker = quote.speaker_entity_id
    quotation_id: int = connection.execute(
        _SQL["start"],
        {
            "text": quote.text,
            "folded": folded,
            "key": keys.key,
            "first_gram": keys.first_gram,
            "quote_id": quote.id,
            "article_id": quote.article_id,
            "published": quote.published,
            "source": quote.source,
            "sources": int(quote.source is not None),
            "stories": int(quote.story_id is not None),
            "speaker": quote.speaker_name if speaker is not None else None,
            "speaker_entity_id": speaker,
            "share": 1.0 if speaker is not None else None,
        },
    ).scalar_one()
    if keys.grams:
        connection.execute(_SQL["grams"], [{"gram": g, "id": quotation_id} for g in keys.grams])
    return quotation_id


_SQL: dict[str, Executable] = {
    "quotes": text(
        "SELECT q.id, q.text, q.kind, q.article_id, q.speaker_entity_id, a.published, a.source, "
        "e.name AS speaker_name, s.story_id FROM quote q JOIN article a ON a.id = q.article_id "
        "LEFT JOIN entity e ON e.id = q.speaker_entity_id "
        "LEFT JOIN story_article s ON s.article_id = q.article_id "
        "WHERE q.article_id = :article_id ORDER BY q.id"
    ).columns(published=Date),
    "same_key": text("SELECT id, folded, text FROM quotation WHERE key = :key"),
    "candidates": text(
        "SELECT id, folded, text FROM quotation WHERE key = :key OR id IN "
        "(SELECT quotation_id FROM quotation_gram WHERE gram = :first_run) "
        "OR first_gram IN :grams"
    ).bindparams(bindparam("grams", expanding=True)),
    "start": text(
        "INSERT INTO quotation (text, folded, key, first_gram, occurrences, source_count, "
        "story_count, first_quote_id, first_article_id, first_published, first_source, speaker, "
        "speaker_entity_id, speaker_share, contested) VALUES (:text, :folded, :key, :first_gram, "
        "1, :sources, :stories, :quote_id, :article_id, :published, :source, :speaker, "
        ":speaker_entity_id, :share, :contested) "
        "RETURNING id"
    ).bindparams(bindparam("published", type_=Date), bindparam("contested", False, type_=Boolean)),
    "grams": text("INSERT INTO quotation_gram (gram, quotation_id) VALUES (:gram, :id)"),
    "place": text("UPDATE quote SET quotation_id = :quotation_id WHERE id = :quote_id"),
    "recount_stories": text(
        "UPDATE quotation SET story_count = (SELECT count(DISTINCT s.story_id) FROM quote AS q "
        "JOIN story_article AS s ON s.article_id = q.article_id "
        "WHERE q.quotation_id = quotation.id) WHERE id IN (SELECT q.quotation_id FROM quote AS q "
        "JOIN story_article AS s ON s.article_id = q.article_id WHERE s.story_id IN :stories)"
    ).bindparams(bindparam("stories", expanding=True)),
}


def leave_quotations(session: Session, article_id: int) -> None:
    """Take an article's quotes out of their quotations (before the quotes are deleted or
    replaced); what is left of each quotation is grouped again, which splits it when the
    occurrence that held it together is gone."""
    ids = set(
        session.execute(
            select(col(Quote.quotation_id))
            .where(col(Quote.article_id) == article_id, col(Quote.quotation_id).is_not(None))
            .distinct()
        ).scalars()
    )
    session.execute(
        update(Quote).where(col(Quote.article_id) == article_id).values(quotation_id=None)
    )
    touched: set[int] = set()
    for quotation_id in sorted(ids):
        rest = session.execute(
            select(col(Quote.id), col(Quote.text), col(Quote.kind), col(Quote.article_id))
            .where(col(Quote.quotation_id) == quotation_id)
            .order_by(col(Quote.id))
        ).all()
        _drop(session, [quotation_id])
        session.execute(
            update(Quote).where(col(Quote.quotation_id) == quotation_id).values(quotation_id=None)
        )
        touched.discard(quotation_id)
        for row in rest:
            placed = _place(session, row.id, row.text, row.kind, row.article_id)
            if placed is not None:
                touched.add(placed)
    refresh_quotations(session, touched)


def refresh_quotations_of(session: Session, article_id: int) -> None:
    """Refresh the quotations of an article whose date or source changed."""
    ids = session.execute(
        select(col(Quote.quotation_id))
        .where(col(Quote.article_id) == article_id, col(Quote.quotation_id).is_not(None))
        .distinct()
    ).scalars()
    refresh_quotations(session, [i for i in ids if i is not None])


def refresh_quotations(session: Session, quotation_ids: Iterable[int]) -> None:
    """Recount each quotation's occurrences, sources and stories, find its first occurrence and
    its speaker again: the entity most attributed occurrences name (ties to the lower id), its
    share of them, and whether a second one has at least a third of them (contested)."""
    for quotation_id in sorted(set(quotation_ids)):
        rows = session.execute(
            select(
                col(Quote.id),
                col(Quote.article_id),
                col(Quote.speaker_entity_id),
                col(Article.published),
                col(Article.source),
                col(StoryArticle.story_id),
            )
            .join(Article, col(Article.id) == Quote.article_id)
            .outerjoin(StoryArticle, col(StoryArticle.article_id) == Quote.article_id)
            .where(col(Quote.quotation_id) == quotation_id)
        ).all()
        if not rows:
            _drop(session, [quotation_id])
            continue
        first = min(rows, key=lambda r: (r.published or date.max, r.article_id, r.id))
        votes = Counter(r.speaker_entity_id for r in rows if r.speaker_entity_id is not None)
        ranked = sorted(votes.items(), key=lambda vote: (-vote[1], vote[0]))
        attributed = sum(votes.values())
        speaker_id = ranked[0][0] if ranked else None
        name = (
            session.execute(select(col(Entity.name)).where(col(Entity.id) == speaker_id)).scalar()
            if speaker_id is not None
            else None
        )
        session.execute(
            update(Quotation)
            .where(col(Quotation.id) == quotation_id)
            .values(
                occurrences=len(rows),
                source_count=len({r.source for r in rows if r.source is not None}),
                story_count=len({r.story_id for r in rows if r.story_id is not None}),
                first_quote_id=first.id,
                first_article_id=first.article_id,
                first_published=first.published,
                first_source=first.source,
                speaker=name,
                speaker_entity_id=speaker_id,
                speaker_share=ranked[0][1] / attributed if ranked else None,
                contested=len(ranked) > 1 and ranked[1][1] * 3 >= attributed,
            )
        )


def recount_stories(session: Session, story_ids: Iterable[int]) -> None:
    """Count again the stories of every quotation quoted in these stories, after articles
    moved between stories (a merge, a split): the rest of a quotation's summary is unchanged."""
    ids = sorted(set(story_ids))
    if ids:
        session.connection().execute(_SQL["recount_stories"], {"stories": ids})


def _place(session: Session, quote_id: int, text: str, kind: str, article_id: int) -> int | None:
    """Put one quote in its quotation (merging the quotations it bridges); its id, or None for
    a quote that is not grouped."""
    folded = fold(text)
    if not groupable(kind, folded):
        return None
    keys = _keys(folded)
    matched = _matching(session.connection(), folded, keys)
    if not matched:
        quotation_id: int = session.execute(
            insert(Quotation)
            .values(
                text=text,
                folded=folded,
                key=keys.key,
                first_gram=keys.first_gram,
                occurrences=0,
                first_quote_id=quote_id,
                first_article_id=article_id,
            )
            .returning(col(Quotation.id))
        ).scalar_one()
        _set_grams(session, quotation_id, keys.grams)
    else:
        quotation_id = matched[0][0]
        merged = [c[0] for c in matched[1:]]
        if merged:
            session.execute(
                update(Quote)
                .where(col(Quote.quotation_id).in_(merged))
                .values(quotation_id=quotation_id)
            )
            _drop(session, merged)
        longest = max([(len(c[1]), c[2], c[1]) for c in matched] + [(len(folded), text, folded)])
        if longest[2] != matched[0][1]:
            _set_longest(session, quotation_id, longest[1], longest[2])
    session.execute(
        update(Quote).where(col(Quote.id) == quote_id).values(quotation_id=quotation_id)
    )
    return quotation_id


def _set_longest(session: Session, quotation_id: int, text: str, folded: str) -> None:
    keys = _keys(folded)
    session.execute(
        update(Quotation)
        .where(col(Quotation.id) == quotation_id)
        .values(
            text=text,
            folded=folded,
            key=keys.key,
            first_gram=keys.first_gram,
        )
    )
    _set_grams(session, quotation_id, keys.grams)


def _set_grams(session: Session, quotation_id: int, keys: list[int]) -> None:
    session.execute(delete(QuotationGram).where(col(QuotationGram.quotation_id) == quotation_id))
    if keys:
        session.execute(
            insert(QuotationGram), [{"gram": k, "quotation_id": quotation_id} for k in keys]
        )


def _drop(session: Session, quotation_ids: list[int]) -> None:
    session.execute(delete(QuotationGram).where(col(QuotationGram.quotation_id).in_(quotation_ids)))
    session.execute(delete(Quotation).where(col(Quotation.id).in_(quotation_ids)))
