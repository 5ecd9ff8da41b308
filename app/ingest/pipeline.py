"""The ingestion run: parse → clean → skip what is stored → annotate → store, one batch per
transaction, with a report of what happened to every record."""

import hashlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col, select

from app.db.models import Article
from app.engines import is_conflict, lock_for_writing
from app.ingest.annotate import (
    AnnotationOrError,
    Annotator,
    annotate_in_parts,
    annotate_texts,
)
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
from app.nlp import Annotation

logger = logging.getLogger(__name__)

# a body needs this many letters or digits to be an article (a 1-character body is not one)
MIN_BODY_CHARS = 5
# a batch waiting for the write lock: SQLite's busy timeout first, then this many retries with
# pauses doubling from the first to the longest (about a minute in all)
_BUSY_RETRIES = 8
_BUSY_FIRST_PAUSE_S = 0.2
_BUSY_MAX_PAUSE_S = 5.0


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
    workers: int = 1,
) -> IngestReport:
    """Ingest every record under ``paths``; re-running with the same input changes nothing.

    A record whose ``source_id`` already came earlier in the same run is a failure: with two
    texts for one id, each run would otherwise undo the previous one. In strict mode the first
    failure stops the run after storing the records before it. ``workers`` processes annotate
    (1: this one).
    """
    return ingest_records(
        iter_records(list(paths), web),
        engine=engine,
        model=model,
        batch_size=batch_size,
        strict=strict,
        on_record=on_record,
        workers=workers,
    )


@dataclass
class _Batch:
    """A batch on its way to the database: its articles and, once ready, the annotations of
    the texts it had to annotate, by content hash."""

    items: list[PreparedArticle]
    hashes: list[str]
    result: Callable[[], list[AnnotationOrError]]
    annotations: dict[str, AnnotationOrError] | None = None

    def ready(self) -> dict[str, AnnotationOrError]:
        if self.annotations is None:
            self.annotations = dict(zip(self.hashes, self.result(), strict=True))
        return self.annotations


def ingest_records(
    records: Iterable[PreparedArticle | SourceError],
    *,
    engine: Engine,
    model: str,
    batch_size: int = 64,
    strict: bool = False,
    on_record: Callable[[], None] | None = None,
    report: IngestReport | None = None,
    workers: int = 1,
) -> IngestReport:
    """Store prepared records (from files, URLs or the write API) batch by batch, counting into
    ``report`` (which a caller may read while it runs).

    Each batch is annotated before its transaction starts (spaCy takes seconds; a write lock
    held that long made a second ingest fail with "database is locked", issue 8). With
    ``workers`` > 1 the next ``workers`` batches are being annotated while one is stored.
    Batches are stored in input order."""
    report = report if report is not None else IngestReport()
    started = time.perf_counter()
    batch: list[PreparedArticle] = []
    first_seen: dict[str, str] = {}
    pending: deque[_Batch] = deque()
    ahead = workers if workers > 1 else 0

    def send(items: list[PreparedArticle], keep: int) -> None:
        if items:
            pending.append(_annotated_later(engine, items, annotator))
        while len(pending) > keep:
            _store_batch(engine, pending.popleft(), model, report)

    try:
        with Annotator(model=model, batch_size=batch_size, workers=workers) as annotator:
            for record in records:
                report.seen += 1
                if isinstance(record, PreparedArticle):
                    where = f"{record.raw.path}:{record.raw.line}"
                    earlier = first_seen.setdefault(record.raw.source_id, where)
                    if earlier != where:
                        record = SourceError(
                            record.raw.path,
                            record.raw.line,
                            f"duplicate id {record.raw.source_id!r} in the input "
                            f"(first at {earlier})",
                        )
                if isinstance(record, SourceError):
                    report.failed += 1
                    report.errors.append(record)
                    logger.info("skipped %s", record)
                    if strict:
                        send(batch, 0)
                        raise IngestAborted(record)
                else:
                    batch.append(record)
                    if len(batch) >= batch_size:
                        send(batch, ahead)
                        batch = []
                if on_record:
                    on_record()
            send(batch, 0)
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _annotated_later(engine: Engine, items: list[PreparedArticle], annotator: Annotator) -> _Batch:
    """Start annotating the texts of ``items`` that are not stored yet (read without a
    transaction, so without any lock)."""
    hashes: dict[str, str] = {}
    for item in _needing_text(engine, items):
        hashes.setdefault(item.content_hash, item.body)
    return _Batch(items, list(hashes), annotator.submit(list(hashes.values())))


def _needing_text(engine: Engine, items: list[PreparedArticle]) -> list[PreparedArticle]:
    """The items whose text is neither stored under their id nor under another's: the ones
    the store will most likely annotate. The store decides again in its transaction."""
    source_ids = [i.raw.source_id for i in items]
    hashes = [i.content_hash for i in items]
    # autocommit reads, one statement each: the engine's "begin" takes the write lock
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        # the driver's own placeholder: sqlite3 takes ?, psycopg %s
        marks = ",".join(["?" if engine.dialect.name == "sqlite" else "%s"] * len(items))
        stored = set(
            cursor.execute(
                f"SELECT source_id, content_hash FROM article WHERE source_id IN ({marks})",
                source_ids,
            ).fetchall()
        )
        owners = dict(
            cursor.execute(
                f"SELECT content_hash, source_id FROM article WHERE content_hash IN ({marks})",
                hashes,
            ).fetchall()
        )
        cursor.close()
    finally:
        connection.close()
    return [
        i
        for i in items
        if (i.raw.source_id, i.content_hash) not in stored
        and owners.get(i.content_hash, i.raw.source_id) == i.raw.source_id
    ]


def _store_batch(engine: Engine, batch: _Batch, model: str, report: IngestReport) -> None:
    """Store one annotated batch in one transaction, retried while another writer holds the
    lock. If it fails, none of it is stored and each article is tried again in a transaction of
    its own, so a bad article costs only itself."""
    annotations = batch.ready()
    items: list[PreparedArticle] = []
    for item in batch.items:
        annotation = annotations.get(item.content_hash)
        if isinstance(annotation, str):
            report.failed += 1
            report.errors.append(
                SourceError(item.raw.path, item.raw.line, f"not stored: {annotation}")
            )
            logger.error("%s:%s not annotated: %s", item.raw.path, item.raw.line, annotation)
        else:
            items.append(item)
    if not items:
        return
    try:
        counts = _write_with_retry(
            engine,
            lambda session, counts: _classify_and_save(session, items, annotations, model, counts),
        )
    except Exception as exc:  # one bad batch must not lose the rest of the run
        # still locked after every retry: one by one, each article would wait as long again,
        # so they are all reported instead (and the exit code says so)
        if len(items) > 1 and not (isinstance(exc, OperationalError) and _is_busy(exc)):
            logger.warning(
                "batch starting at %s:%s failed (%s: %s); storing its articles one by one",
                items[0].raw.path,
                items[0].raw.line,
                type(exc).__name__,
                exc,
            )
            for item in items:
                _store_batch(engine, _Batch([item], [], list, annotations), model, report)
            return
        for item in items:
            logger.error(
                "%s:%s not stored: %s: %s", item.raw.path, item.raw.line, type(exc).__name__, exc
            )
            report.failed += 1
            report.errors.append(
                SourceError(
                    item.raw.path, item.raw.line, f"not stored: {type(exc).__name__}: {exc}"
                )
            )
        return
    report.added += counts.added
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.duplicate += counts.duplicate
    report.duplicates += counts.duplicates


def _write_with_retry(
    engine: Engine, write: Callable[[Session, IngestReport], None], retries: int = _BUSY_RETRIES
) -> IngestReport:
    """Run ``write`` in one transaction, again (with growing pauses) while SQLite answers
    SQLITE_BUSY (another ingest holds the write lock longer than the busy timeout) or
    PostgreSQL reports a conflict with another writer."""
    for attempt in range(retries + 1):
        counts = IngestReport()
        try:
            with Session(engine) as session, session.begin():
                lock_for_writing(session.connection())
                write(session, counts)
            return counts
        except DBAPIError as exc:
            retryable = _is_busy(exc) if isinstance(exc, OperationalError) else False
            if attempt == retries or not (retryable or is_conflict(exc.orig)):
                raise
            pause = min(_BUSY_MAX_PAUSE_S, _BUSY_FIRST_PAUSE_S * 2**attempt)
            logger.info("database busy (%s); retrying in %.1f s", exc.orig, pause)
            time.sleep(pause * (0.5 + random.random()))  # jitter: two waiting ingests part
    raise AssertionError("unreachable")


def _is_busy(exc: OperationalError) -> bool:
    # https://sqlite.org/rescode.html#busy ("database is locked" is SQLITE_BUSY's message)
    name = getattr(exc.orig, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(
        exc.orig
    )


def _classify_and_save(
    session: Session,
    batch: list[PreparedArticle],
    annotations: Mapping[str, AnnotationOrError],
    model: str,
    report: IngestReport,
) -> None:
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
    entities = EntityCache(session)
    for item, existing in to_store:
        annotation = annotations.get(item.content_hash)
        if not isinstance(annotation, Annotation):
            [annotation] = annotate_in_parts([item.body], model=model, batch_size=1)
        save_article(session, item, annotation, existing, entities)
    refresh_entity_counts(session, entities.touched)


def store_one(engine: Engine, item: PreparedArticle, *, model: str) -> tuple[str, int]:
    """Store one article in its own transaction: (``added``, ``updated``, ``unchanged`` or
    ``duplicate``, the id of the stored article holding its text)."""
    texts = {i.content_hash: i.body for i in _needing_text(engine, [item])}
    annotations = dict(zip(texts, annotate_texts(list(texts.values()), model, 1), strict=True))
    if isinstance(error := annotations.get(item.content_hash), str):
        raise RuntimeError(f"could not annotate: {error}")
    result: list[tuple[str, int]] = []

    def write(session: Session, counts: IngestReport) -> None:
        _classify_and_save(session, [item], annotations, model, counts)
        outcome = next(
            name for name in ("added", "updated", "unchanged", "duplicate") if getattr(counts, name)
        )
        if outcome == "duplicate":
            where = col(Article.content_hash) == item.content_hash
        else:
            where = col(Article.source_id) == item.raw.source_id
        article_id = session.exec(select(Article.id).where(where)).one()
        assert article_id is not None
        result[:] = [(outcome, article_id)]

    # no retries: the API answers a 503 with Retry-After rather than hold a request for a minute
    _write_with_retry(engine, write, retries=0)
    return result[0]


def delete_article(engine: Engine, article_id: int) -> bool:
    """Delete an article with its quotes and mentions; False when there is no such article."""
    with Session(engine) as session, session.begin():
        return remove_article(session, article_id)
