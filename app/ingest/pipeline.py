"""The ingestion run: parse → clean → skip what is stored → annotate → store, one batch per
transaction, with a report of what happened to every record."""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.ingest.clean import clean_body, clean_title, title_from_lead, word_count
from app.ingest.sources import (
    RawArticle,
    SourceError,
    Web,
    is_url,
    iter_documents,
    iter_files,
    iter_urls,
)
from app.ingest.store import (
    EntityCache,
    PreparedArticle,
    refresh_entity_counts,
    remove_article,
    save_article,
    update_metadata,
)
from app.ingest.textio import fix_mojibake
from app.models import Article
from app.nlp import Annotation, annotate
from app.nlp.entities import EntityMention

logger = logging.getLogger(__name__)

# a body needs this many letters or digits to be an article (a 1-character body is not one)
MIN_BODY_CHARS = 5
# texts are annotated in parts of at most this many characters: spaCy refuses a text over
# nlp.max_length (1,000,000, error E088) and needs about 1 GB of memory per 100,000 characters
# for the parser and NER: https://spacy.io/api/language#init
NLP_PART_CHARS = 100_000


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
    body = clean_body(fix_mojibake(raw.body))
    if not body:
        return SourceError(raw.path, raw.line, "body is empty after cleaning")
    letters = sum(char.isalnum() for char in body[: MIN_BODY_CHARS * 10])
    if letters < MIN_BODY_CHARS:
        return SourceError(
            raw.path,
            raw.line,
            f"body too short to be an article ({len(body)} character(s); "
            f"at least {MIN_BODY_CHARS} letters or digits needed)",
        )
    title = clean_title(fix_mojibake(raw.title) if raw.title else title_from_lead(body))
    digest = hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
    return PreparedArticle(
        raw=raw, title=title, body=body, content_hash=digest, word_count=word_count(body)
    )


def iter_records(
    inputs: Iterable[Path | str], web: Web | None = None
) -> Iterator[PreparedArticle | SourceError]:
    """Records from files and folders, then from URLs (``https://…`` strings)."""
    web = web or Web()
    paths = [Path(i) for i in inputs if not (isinstance(i, str) and is_url(i))]
    urls = [i for i in inputs if isinstance(i, str) and is_url(i)]
    try:
        for path, root in iter_files(paths):
            for record in iter_documents(path, root, web):
                yield record if isinstance(record, SourceError) else prepare(record)
        for record in iter_urls(urls, web):
            yield record if isinstance(record, SourceError) else prepare(record)
    finally:
        web.close()


def ingest(
    paths: Iterable[Path | str],
    *,
    engine: Engine,
    model: str,
    batch_size: int = 64,
    strict: bool = False,
    on_record: Callable[[], None] | None = None,
    web: Web | None = None,
) -> IngestReport:
    """Ingest every record under ``paths``; re-running with the same input changes nothing.

    A record whose ``source_id`` already came earlier in the same run is a failure: with two
    texts for one id, each run would otherwise undo the previous one. In strict mode the first
    failure stops the run after storing the records before it.
    """
    return ingest_records(
        iter_records(list(paths), web),
        engine=engine,
        model=model,
        batch_size=batch_size,
        strict=strict,
        on_record=on_record,
    )


def ingest_records(
    records: Iterable[PreparedArticle | SourceError],
    *,
    engine: Engine,
    model: str,
    batch_size: int = 64,
    strict: bool = False,
    on_record: Callable[[], None] | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Store prepared records (from files, URLs or the write API) batch by batch, counting into
    ``report`` (which a caller may read while it runs)."""
    report = report if report is not None else IngestReport()
    started = time.perf_counter()
    batch: list[PreparedArticle] = []
    first_seen: dict[str, str] = {}
    try:
        for record in records:
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
    """Store one batch in one transaction. If it fails, none of it is stored and each article
    is tried again in a transaction of its own, so a bad article costs only itself."""
    if not batch:
        return
    counts = IngestReport()
    try:
        with Session(engine) as session, session.begin():
            _classify_and_save(session, batch, model, nlp_batch_size, counts)
    except Exception as exc:  # one bad batch must not lose the rest of the run
        if len(batch) > 1:
            logger.warning(
                "batch starting at %s:%s failed (%s: %s); storing its articles one by one",
                batch[0].raw.path,
                batch[0].raw.line,
                type(exc).__name__,
                exc,
            )
            for item in batch:
                _store_batch(engine, [item], model, nlp_batch_size, report)
            return
        logger.error(
            "%s:%s not stored: %s: %s",
            batch[0].raw.path,
            batch[0].raw.line,
            type(exc).__name__,
            exc,
        )
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
    annotations = annotate_in_parts(texts, model=model, batch_size=nlp_batch_size)
    entities = EntityCache(session)
    for (item, existing), annotation in zip(to_store, annotations, strict=True):
        save_article(session, item, annotation, existing, entities)
    refresh_entity_counts(session, entities.touched)


def annotate_in_parts(
    texts: Sequence[str], *, model: str, batch_size: int, part_chars: int = NLP_PART_CHARS
) -> Iterator[Annotation]:
    """``annotate``, with each text longer than ``part_chars`` cut into parts at paragraph (else
    line, else word) boundaries and the parts' offsets shifted back into the whole text."""
    parts: list[str] = []
    owners: list[tuple[int, int]] = []  # (text index, offset of the part in it)
    for index, text in enumerate(texts):
        for offset, part in split_text(text, part_chars):
            parts.append(part)
            owners.append((index, offset))
    merged: list[Annotation] = [Annotation(entities=(), quotes=()) for _ in texts]
    annotations = annotate(parts, model=model, batch_size=batch_size)
    for (index, offset), annotation in zip(owners, annotations, strict=True):
        if offset:
            annotation = _shifted(annotation, offset)
        whole = merged[index]
        merged[index] = Annotation(
            entities=whole.entities + annotation.entities, quotes=whole.quotes + annotation.quotes
        )
    yield from merged


def split_text(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, part) with every part at most ``limit`` characters, cut after a blank line,
    else after a line break, else after a space, else anywhere."""
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                cut += len(separator)
                break
        if cut <= 0:
            cut = limit
        yield start, text[start : start + cut]
        start += cut
    yield start, text[start:]


def _shifted(annotation: Annotation, offset: int) -> Annotation:
    def move(mention: EntityMention) -> EntityMention:
        return replace(mention, start=mention.start + offset, end=mention.end + offset)

    quotes = tuple(
        replace(
            quote,
            start=quote.start + offset,
            end=quote.end + offset,
            speaker_start=None if quote.speaker_start is None else quote.speaker_start + offset,
            speaker_end=None if quote.speaker_end is None else quote.speaker_end + offset,
            speaker=move(quote.speaker) if quote.speaker else None,
        )
        for quote in annotation.quotes
    )
    return Annotation(entities=tuple(move(m) for m in annotation.entities), quotes=quotes)


def store_one(engine: Engine, item: PreparedArticle, *, model: str) -> tuple[str, int]:
    """Store one article in its own transaction: (``added``, ``updated``, ``unchanged`` or
    ``duplicate``, the id of the stored article holding its text)."""
    counts = IngestReport()
    with Session(engine) as session, session.begin():
        _classify_and_save(session, [item], model, 1, counts)
        outcome = next(
            name for name in ("added", "updated", "unchanged", "duplicate") if getattr(counts, name)
        )
        if outcome == "duplicate":
            where = col(Article.content_hash) == item.content_hash
        else:
            where = col(Article.source_id) == item.raw.source_id
        article_id = session.exec(select(Article.id).where(where)).one()
    assert article_id is not None
    return outcome, article_id


def delete_article(engine: Engine, article_id: int) -> bool:
    """Delete an article with its quotes and mentions; False when there is no such article."""
    with Session(engine) as session, session.begin():
        return remove_article(session, article_id)
