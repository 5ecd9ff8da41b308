"""The store stage: compare each article with what is stored, then upsert by source id,
get-or-create entities, replace mentions and quotes, refresh entity counts. The caller owns the
transaction (one per batch)."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, col, select

from app.corpus import (
    group_quotes,
    join_story,
    leave_quotations,
    leave_story,
    link_people,
    refresh_quotations_of,
    refresh_story_of,
    surname_key,
)
from app.db.models import Article, Entity, Mention, Quote, pack_ids
from app.engines import insert_ignoring_duplicates
from app.ingest.annotate import AnnotationOrError, annotate_texts
from app.ingest.clean import PreparedArticle, headline_of
from app.nlp import Annotation, extraction_version
from app.nlp.entities import EntityMention
from app.nlp.spans import QuoteSpan


class Outcome(StrEnum):
    """What storing did with an article (the names of ``IngestCounts``' fields)."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


Stored = tuple[PreparedArticle, Outcome, str | None]
"""An article, what storing did with it, and a note for the report (a duplicate's owner)."""


def classify_and_save(
    session: Session,
    batch: list[PreparedArticle],
    annotations: Mapping[str, AnnotationOrError],
    model: str,
) -> list[Stored]:
    """Compare each article with what is stored and save the new or changed ones with their
    annotations (annotated here only if another writer changed the database since they were
    chosen for annotation)."""
    by_source_id = {
        a.source_id: a
        for a in session.exec(
            select(Article).where(col(Article.source_id).in_([i.raw.source_id for i in batch]))
        )
    }
    hash_owner = dict(
        session.exec(
            select(Article.content_hash, Article.source_id).where(
                col(Article.content_hash).in_([i.content_hash for i in batch])
            )
        ).all()
    )
    # updates first: an article moving to new text frees its old text for a new record
    ordered = sorted(batch, key=lambda item: item.raw.source_id not in by_source_id)
    to_store: list[tuple[PreparedArticle, Article | None]] = []
    stored: list[Stored] = []
    for item in ordered:
        source_id = item.raw.source_id
        existing = by_source_id.get(source_id)
        owner = hash_owner.get(item.content_hash)
        if existing is not None and existing.content_hash == item.content_hash:
            if update_metadata(existing, item):
                session.add(existing)
                session.flush()
                assert existing.id is not None
                # its date may make it first in its story and quotations
                refresh_story_of(session, existing.id)
                refresh_quotations_of(session, existing.id)
                stored.append((item, Outcome.UPDATED, None))
            else:
                stored.append((item, Outcome.UNCHANGED, None))
        elif owner is not None and owner != source_id:
            note = f"{item.raw.path}:{item.raw.line}: same text as {owner!r}, not stored"
            stored.append((item, Outcome.DUPLICATE, note))
        else:
            to_store.append((item, existing))
            hash_owner[item.content_hash] = source_id
            if existing is not None:
                hash_owner.pop(existing.content_hash, None)
                stored.append((item, Outcome.UPDATED, None))
            else:
                stored.append((item, Outcome.ADDED, None))
    entities = EntityCache(session)
    extraction = extraction_version(model)
    saved: list[int] = []
    for item, existing in to_store:
        annotation = annotations.get(item.content_hash)
        if not isinstance(annotation, Annotation):
            [annotated] = annotate_texts(
                [item.body], model, 1, [headline_of(item.title, item.body)]
            )
            if isinstance(annotated, str):
                raise RuntimeError(f"could not annotate: {annotated}")
            annotation = annotated
        if existing is not None:
            assert existing.id is not None
            leave_story(session, existing.id)  # new text: it may belong elsewhere now
            leave_quotations(session, existing.id)
        article = save_article(session, item, annotation, existing, entities, extraction)
        assert article.id is not None
        # the corpus stages (app/corpus): stories first, as quotations count them
        join_story(session, article.id, article.body)
        group_quotes(session, article.id)
        saved.append(article.id)
    link_entities(session, saved, entities)
    return stored


def link_entities(session: Session, article_ids: list[int], entities: "EntityCache") -> None:
    """The people stage (``app.corpus.people``) over the batch's saved articles, then the
    counts of every entity either touched."""
    if article_ids or entities.touched:
        entities.touched |= link_people(
            session, article_ids=article_ids, created=entities.created, touched=entities.touched
        )
    refresh_entity_counts(session, entities.touched)


class EntityCache:
    """Entity ids by (name, label) for one batch, so each entity is looked up once; a missing
    one is created with ``INSERT … ON CONFLICT DO NOTHING``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[tuple[str, str], int] = {}
        self.touched: set[int] = set()
        self.created: set[int] = set()  # inserted by this batch (the people stage's news)

    def id_for(self, mention: EntityMention) -> int:
        key = (mention.name, mention.label)
        if key not in self.ids:
            # insert unless stored, then read the id: two writers creating the same entity at
            # once (several ingests into PostgreSQL) both get the one row, neither fails
            inserted = self.session.execute(
                insert_ignoring_duplicates(self.session, Entity, "name", "type").values(
                    name=mention.name,
                    type=mention.label,
                    aliases=[],
                    article_count=0,
                    mention_count=0,
                    surname_key=surname_key(mention.name, mention.label),
                )
            )
            self.ids[key] = self.session.execute(
                select(Entity.id).where(Entity.name == mention.name, Entity.type == mention.label)
            ).scalar_one()
            if inserted.rowcount:  # type: ignore[attr-defined]
                self.created.add(self.ids[key])
        entity_id = self.ids[key]
        self.touched.add(entity_id)
        return entity_id


def _metadata(item: PreparedArticle) -> dict[str, object]:
    raw = item.raw
    return {"published": raw.published, "source": raw.source, "url": raw.url, "author": raw.author}


def update_metadata(article: Article, item: PreparedArticle) -> bool:
    """Apply changed metadata (same text) to a stored article; True when anything changed."""
    changed = {k: v for k, v in _metadata(item).items() if getattr(article, k) != v}
    for key, value in changed.items():
        setattr(article, key, value)
    return bool(changed)


def save_article(
    session: Session,
    item: PreparedArticle,
    annotation: Annotation,
    existing: Article | None,
    entities: EntityCache,
    extraction: str,
) -> Article:
    """Insert a new article, or replace an existing one's text and everything extracted from it."""
    fields = {
        "source_id": item.raw.source_id,
        "title": item.title,
        "body": item.body,
        **_metadata(item),
        "word_count": item.word_count,
        "content_hash": item.content_hash,
        "ingested_at": datetime.now(UTC),
    }
    if existing is None:
        article = Article.model_validate(fields)
        session.add(article)
        session.flush()
    else:
        article = existing
        for key, value in fields.items():
            setattr(article, key, value)
    save_extraction(session, article, annotation, entities, extraction, replace=bool(existing))
    return article


def reextract(
    session: Session,
    article: Article,
    annotation: Annotation,
    entities: EntityCache,
    extraction: str,
) -> None:
    """Replace what was extracted from a stored article whose text is unchanged (``corpus
    reannotate``): the store's path for an updated article without its story steps (the text,
    and so its story, stays). The caller runs ``link_entities`` over the batch's articles,
    which links their people and refreshes ``entities.touched``' counts."""
    assert article.id is not None
    leave_quotations(session, article.id)
    save_extraction(session, article, annotation, entities, extraction, replace=True)
    group_quotes(session, article.id)


def save_extraction(
    session: Session,
    article: Article,
    annotation: Annotation,
    entities: EntityCache,
    extraction: str,
    *,
    replace: bool,
) -> None:
    """Write an article's mentions, quotes (body and headline) and ``extraction`` version,
    replacing (``replace``) the ones stored before."""
    if replace:
        for now, own in session.execute(
            select(col(Mention.entity_id), col(Mention.local_entity_id)).where(
                Mention.article_id == article.id
            )
        ):
            entities.touched.update(i for i in (now, own) if i is not None)
        session.execute(delete(Quote).where(col(Quote.article_id) == article.id))
        session.execute(delete(Mention).where(col(Mention.article_id) == article.id))
    article.entity_ids = pack_ids(entities.id_for(m) for m in annotation.entities)
    article.extraction = extraction
    session.add(article)
    session.flush()
    assert article.id is not None

    mention_rows = [
        {
            "article_id": article.id,
            "entity_id": entities.id_for(m),
            "text": m.text,
            "start": m.start,
            "end": m.end,
        }
        for m in annotation.entities
    ]
    _add_aliases(
        session, {(entities.id_for(m), m.text) for m in annotation.entities if m.text != m.name}
    )
    quote_rows = [
        _quote_row(article.id, q, field, entities)
        for field, quotes in (("title", annotation.title_quotes), ("body", annotation.quotes))
        for q in quotes
    ]
    if mention_rows:
        session.execute(insert(Mention), mention_rows)
    if quote_rows:
        session.execute(insert(Quote), quote_rows)


def _quote_row(
    article_id: int, q: QuoteSpan, field: str, entities: EntityCache
) -> dict[str, object]:
    return {
        "article_id": article_id,
        "field": field,
        "text": q.text,
        "start": q.start,
        "end": q.end,
        "kind": q.kind,
        "cue": q.cue,
        "speaker": q.speaker.name if q.speaker else None,
        "speaker_text": q.speaker_text,
        "speaker_start": q.speaker_start,
        "speaker_end": q.speaker_end,
        "speaker_entity_id": entities.id_for(q.speaker) if q.speaker else None,
        "confidence": q.confidence,
    }


def _add_aliases(session: Session, pairs: Iterable[tuple[int, str]]) -> None:
    by_entity: dict[int, set[str]] = {}
    for entity_id, alias in pairs:
        by_entity.setdefault(entity_id, set()).add(alias)
    for entity_id, aliases in by_entity.items():
        entity = session.get(Entity, entity_id)
        assert entity is not None
        new = sorted(set(entity.aliases) | aliases)
        if new != entity.aliases:
            entity.aliases = new
            session.add(entity)


def refresh_entity_counts(session: Session, entity_ids: set[int]) -> None:
    """Recount mentions and articles for the touched entities and drop the ones left unused."""
    if not entity_ids:
        return
    session.flush()
    ids = list(entity_ids)
    mentions = select(func.count()).where(Mention.entity_id == Entity.id).scalar_subquery()
    articles = (
        select(func.count(func.distinct(Mention.article_id)))
        .where(Mention.entity_id == Entity.id)
        .scalar_subquery()
    )
    session.execute(
        update(Entity)
        .where(col(Entity.id).in_(ids))
        .values(mention_count=mentions, article_count=articles)
        .execution_options(synchronize_session=False)
    )
    # synchronize_session=False: in-memory counts are stale, so SQLAlchemy must not evaluate the
    # WHERE clause against them (it would drop live entities from the session)
    # an entity whose mentions all went to another (app.corpus.people) stays, so that its id
    # still answers, while an article names it
    moved = select(Mention.id).where(col(Mention.local_entity_id) == Entity.id).exists()
    session.execute(
        delete(Entity)
        .where(col(Entity.id).in_(ids), col(Entity.mention_count) == 0, ~moved)
        .execution_options(synchronize_session=False)
    )


def remove_article(session: Session, article_id: int) -> bool:
    """Delete an article, its quotes and mentions (explicitly, so the FTS triggers on each
    table fire), and recount or drop the entities it mentioned."""
    article = session.get(Article, article_id)
    if article is None:
        return False
    touched = {
        i
        for row in session.execute(
            select(col(Mention.entity_id), col(Mention.local_entity_id)).where(
                Mention.article_id == article_id
            )
        )
        for i in row
        if i is not None
    }
    leave_story(session, article_id)
    leave_quotations(session, article_id)
    session.execute(delete(Quote).where(col(Quote.article_id) == article_id))
    session.execute(delete(Mention).where(col(Mention.article_id) == article_id))
    session.delete(article)
    session.flush()
    touched |= link_people(session, touched=touched)
    refresh_entity_counts(session, touched)
    return True
