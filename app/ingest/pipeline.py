"""The ingestion run: parse → clean → skip what is stored → annotate → store, one batch per
transaction, with a report of what happened to every record."""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.ingest.clean import clean_body, clean_title, title_from_lead, word_count
from app.ingest.sources import RawArticle, SourceError, iter_documents, iter_files
from app.ingest.store import (
    EntityCache,
    PreparedArticle,
    refresh_entity_counts,
    save_article,
    update_metadata,
)
from app.models import Article
from app.nlp import annotate

logger = logging.getLogger(__name__)


class IngestAborted(Exception):
    """Raised in strict mode on the first bad record; the current batch is not stored."""

    def __init__(self, error: SourceError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class IngestReport:
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failed: int = 0
    errors: list[SourceError] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def articles_per_second(self) -> float:
        return self.seen / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.seen} seen: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.duplicate} duplicate, {self.failed} failed "
            f"in {self.seconds:.1f} s ({self.articles_per_second:.1f} articles/s)"
        )


def prepare(raw: RawArticle) -> PreparedArticle | SourceError:
    body = clean_body(raw.body)
    if not body:
        return SourceError(raw.path, raw.line, "body is empty after cleaning")
    title = clean_title(raw.title or title_from_lead(body))
    digest = hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
    return PreparedArticle(
        raw=raw, title=title, body=body, content_hash=digest, word_count=word_count(body)
    )


def iter_records(paths: Iterable[Path]) -> Iterator[PreparedArticle | SourceError]:
    for path, root in iter_files(paths):
        for record in iter_documents(path, root):
            yield record if isinstance(record, SourceError) else prepare(record)


def ingest(
    paths: Iterable[Path],
    *,
    engine: Engine,
    model: str,
    batch_size: int = 64,
    strict: bool = False,
    on_record: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest every record under ``paths``; re-running with the same input changes nothing.

    A record whose ``source_id`` already came earlier in the same run is a failure: with two
    texts for one id, each run would otherwise undo the previous one. In strict mode the first
    failure stops the run after storing the records before it.
    """
    report = IngestReport()
    started = time.perf_counter()
    batch: list[PreparedArticle] = []
    first_seen: dict[str, str] = {}
    try:
        for record in iter_records(paths):
            report.seen += 1
            if isinstance(record, PreparedArticle):
                where = f"{record.raw.path}:{record.raw.line}"
                earlier = first_seen.setdefault(record.raw.source_id, where)
                if earlier != where:
                    record = SourceError(
                        record.raw.path,
                        record.raw.line,
                        f"duplicate id {record.raw.source_id!r} in the input (first at {earlier})",
                    )
            if isinstance(record, SourceError):
                report.failed += 1
                report.errors.append(record)
                logger.info("skipped %s", record)
                if strict:
                    _store_batch(engine, batch, model, batch_size, report)
                    raise IngestAborted(record)
            else:
                batch.append(record)
                if len(batch) >= batch_size:
                    _store_batch(engine, batch, model, batch_size, report)
                    batch = []
            if on_record:
                on_record()
        _store_batch(engine, batch, model, batch_size, report)
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _store_batch(
    engine: Engine,
    batch: list[PreparedArticle],
    model: str,
    nlp_batch_size: int,
    report: IngestReport,
) -> None:
    """Store one batch in one transaction; if it fails, none of it is stored and every
    article in it is reported as failed, and the run goes on."""
    if not batch:
        return
    counts = IngestReport()
    try:
        with Session(engine) as session, session.begin():
            _classify_and_save(session, batch, model, nlp_batch_size, counts)
    except Exception as exc:  # one bad batch must not lose the rest of the run
        logger.exception("batch starting at %s:%s failed", batch[0].raw.path, batch[0].raw.line)
        report.failed += len(batch)
        report.errors += [
            SourceError(item.raw.path, item.raw.line, f"not stored: {type(exc).__name__}: {exc}")
            for item in batch
        ]
        return
    report.added += counts.added
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.duplicate += counts.duplicate
    report.duplicates += counts.duplicates


def _classify_and_save(
    session: Session,
    batch: list[PreparedArticle],
    model: str,
    nlp_batch_size: int,
    report: IngestReport,
) -> None:
    """Compare each article with what is stored, annotate only new or changed text, save."""
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
    for item in ordered:
        source_id = item.raw.source_id
        existing = by_source_id.get(source_id)
        owner = hash_owner.get(item.content_hash)
        if existing is not None and existing.content_hash == item.content_hash:
            if update_metadata(existing, item):
                session.add(existing)
                report.updated += 1
            else:
                report.unchanged += 1
        elif owner is not None and owner != source_id:
            report.duplicate += 1
            report.duplicates.append(
                f"{item.raw.path}:{item.raw.line}: same text as {owner!r}, not stored"
            )
        else:
            to_store.append((item, existing))
            hash_owner[item.content_hash] = source_id
            if existing is not None:
                hash_owner.pop(existing.content_hash, None)
                report.updated += 1
            else:
                report.added += 1
    texts = [item.body for item, _ in to_store]
    annotations = annotate(texts, model=model, batch_size=nlp_batch_size)
    entities = EntityCache(session)
    for (item, existing), annotation in zip(to_store, annotations, strict=True):
        save_article(session, item, annotation, existing, entities)
    refresh_entity_counts(session, entities.touched)
