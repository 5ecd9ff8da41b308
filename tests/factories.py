"""Factories that write rows directly, so API tests control exactly what is stored."""

import hashlib
import itertools
import struct
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.db.models import Article, Entity, Mention, Quote, pack_ids
from app.ingest.store import refresh_entity_counts

_counter = itertools.count(1)


def make_article(session: Session, **overrides: Any) -> Article:
    n = next(_counter)
    body = overrides.pop("body", f"Body number {n}. The council met on Tuesday.")
    fields: dict[str, Any] = {
        "source_id": f"test-{n}",
        "title": f"Article {n}",
        "body": body,
        "published": date(2020, 1, 1),
        "source": "Test Wire",
        "url": f"https://example.org/{n}",
        "author": None,
        "word_count": len(body.split()),
        "content_hash": hashlib.sha256(f"{n}{body}".encode()).hexdigest(),
        "ingested_at": datetime.now(UTC),
        **overrides,
    }
    article = Article.model_validate(fields)
    session.add(article)
    session.commit()
    return article


def make_entity(session: Session, **overrides: Any) -> Entity:
    n = next(_counter)
    entity = Entity.model_validate(
        {"name": f"Person {n}", "type": "PERSON", "aliases": [], **overrides}
    )
    session.add(entity)
    session.commit()
    return entity


def make_mention(session: Session, article: Article, entity: Entity, **overrides: Any) -> Mention:
    """A mention, with the entity's counts and the article's entity ids kept up to date the way
    ingestion keeps them."""
    start = overrides.pop("start", 0)
    text = overrides.pop("text", entity.name)
    mention = Mention.model_validate(
        {
            "article_id": article.id,
            "entity_id": entity.id,
            "text": text,
            "start": start,
            "end": start + len(text),
            **overrides,
        }
    )
    session.add(mention)
    assert entity.id is not None
    known = struct.unpack(f"<{len(article.entity_ids or b'') // 8}q", article.entity_ids or b"")
    article.entity_ids = pack_ids([*known, entity.id])
    session.add(article)
    refresh_entity_counts(session, {entity.id})
    session.commit()
    session.refresh(entity)
    return mention


def make_quote(session: Session, article: Article, **overrides: Any) -> Quote:
    text = overrides.pop("text", "We will build it")
    start = overrides.pop("start", 0)
    quote = Quote.model_validate(
        {
            "article_id": article.id,
            "text": text,
            "start": start,
            "end": start + len(text),
            "kind": "direct",
            "cue": "said",
            "speaker": None,
            "speaker_text": None,
            "speaker_entity_id": None,
            **overrides,
        }
    )
    session.add(quote)
    session.commit()
    return quote
