"""Quotations: each quote of a stored article joins the quotation of the same words (or of a
longer occurrence that holds it, or absorbs shorter ones it holds), with first seen and speaker
consensus kept current. Runs inside the store stage's transaction, after stories."""

from collections import Counter
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, insert, or_, select, update
from sqlmodel import Session, col

from app.corpus.quotetext import MIN_TRIMMED_WORDS, fold, grams, groupable, key_of, same_quotation
from app.db.models import Article, Entity, Quote
from app.db.quotations import Quotation, QuotationGram


def group_quotes(session: Session, article_id: int) -> None:
    """Put each groupable quote of a stored article in its quotation."""
    rows = session.execute(
        select(col(Quote.id), col(Quote.text), col(Quote.kind))
        .where(col(Quote.article_id) == article_id)
        .order_by(col(Quote.id))
    ).all()
    touched = {_place(session, row.id, row.text, row.kind, article_id) for row in rows}
    refresh_quotations(session, {q for q in touched if q is not None})


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
    """Recount each quotation's occurrences, find its first occurrence and its speaker again:
    the entity most attributed occurrences name (ties to the lower id), its share of them, and
    whether a second one has at least a third of them (contested)."""
    for quotation_id in sorted(set(quotation_ids)):
        rows = session.execute(
            select(
                col(Quote.id),
                col(Quote.article_id),
                col(Quote.speaker_entity_id),
                col(Article.published),
                col(Article.source),
            )
            .join(Article, col(Article.id) == Quote.article_id)
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


def _place(session: Session, quote_id: int, text: str, kind: str, article_id: int) -> int | None:
    """Put one quote in its quotation (merging the quotations it bridges); its id, or None for
    a quote that is not grouped."""
    folded = fold(text)
    if not groupable(kind, folded):
        return None
    words = folded.split()
    mine = grams(folded)
    conditions = [col(Quotation.key) == key_of(folded)]
    if mine:
        first_run = key_of(" ".join(words[:MIN_TRIMMED_WORDS]))
        holding = select(col(QuotationGram.quotation_id)).where(
            col(QuotationGram.gram) == first_run
        )
        conditions += [col(Quotation.id).in_(holding), col(Quotation.first_gram).in_(mine)]
    candidates = session.execute(
        select(col(Quotation.id), col(Quotation.folded), col(Quotation.text)).where(
            or_(*conditions)
        )
    ).all()
    matched = sorted(
        (c for c in candidates if same_quotation(folded, c.folded)), key=lambda c: c.id
    )
    if not matched:
        quotation_id: int = session.execute(
            insert(Quotation)
            .values(
                text=text,
                folded=folded,
                key=key_of(folded),
                first_gram=key_of(" ".join(words[:MIN_TRIMMED_WORDS])) if mine else None,
                occurrences=0,
                first_quote_id=quote_id,
                first_article_id=article_id,
            )
            .returning(col(Quotation.id))
        ).scalar_one()
        _set_grams(session, quotation_id, mine)
    else:
        quotation_id = matched[0].id
        merged = [c.id for c in matched[1:]]
        if merged:
            session.execute(
                update(Quote)
                .where(col(Quote.quotation_id).in_(merged))
                .values(quotation_id=quotation_id)
            )
            _drop(session, merged)
        longest = max(
            [(len(c.folded), c.text, c.folded) for c in matched] + [(len(folded), text, folded)]
        )
        if longest[2] != matched[0].folded:
            _set_longest(session, quotation_id, longest[1], longest[2])
    session.execute(
        update(Quote).where(col(Quote.id) == quote_id).values(quotation_id=quotation_id)
    )
    return quotation_id


def _set_longest(session: Session, quotation_id: int, text: str, folded: str) -> None:
    words = folded.split()
    mine = grams(folded)
    session.execute(
        update(Quotation)
        .where(col(Quotation.id) == quotation_id)
        .values(
            text=text,
            folded=folded,
            key=key_of(folded),
            first_gram=key_of(" ".join(words[:MIN_TRIMMED_WORDS])) if mine else None,
        )
    )
    _set_grams(session, quotation_id, mine)


def _set_grams(session: Session, quotation_id: int, keys: list[int]) -> None:
    session.execute(delete(QuotationGram).where(col(QuotationGram.quotation_id) == quotation_id))
    if keys:
        session.execute(
            insert(QuotationGram), [{"gram": k, "quotation_id": quotation_id} for k in keys]
        )


def _drop(session: Session, quotation_ids: list[int]) -> None:
    session.execute(delete(QuotationGram).where(col(QuotationGram.quotation_id).in_(quotation_ids)))
    session.execute(delete(Quotation).where(col(Quotation.id).in_(quotation_ids)))
