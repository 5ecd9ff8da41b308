"""The ingestion run: parse → clean → skip what is stored → annotate → store, one batch per
transaction, with a report of what happened to every record."""

import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import Field
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.db.jobs import IngestCounts
from app.db.models import Article
from app.engines import is_busy, is_conflict, lock_for_writing, read_without_lock
from app.errors import DatabaseBusy
from app.ingest.annotate import AnnotationOrError, Annotator, annotate_texts
from app.ingest.clean import PreparedArticle, headline_of, prepare
from app.ingest.read import Web, iter_records
from app.ingest.record import IngestAborted, RecordError
from app.ingest.store import Outcome, classify_and_save, remove_article
from app.metrics import INGESTED

logger = logging.getLogger(__name__)
T = TypeVar("T")

# a batch waiting for the write lock: SQLite's busy timeout first, then this many retries with
# pauses doubling from the first to the longest (about a minute in all)
_BUSY_RETRIES = 8
_BUSY_FIRST_PAUSE_S = 0.2
_BUSY_MAX_PAUSE_S = 5.0


class IngestReport(IngestCounts):
    """What a run did with every record: the counts (``IngestCounts``, which a job's row
    stores), each failure and duplicate, and the time taken. A caller may read it while the
    run goes on."""

    model_config = {"arbitrary_types_allowed": True}

    errors: list[RecordError] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome, note: str | None) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        INGESTED.labels(outcome=outcome.value).inc()
        if note:
            self.duplicates.append(note)

    def fail(self, error: RecordError) -> None:
        self.failed += 1
        INGESTED.labels(outcome="failed").inc()
        self.errors.append(error)

    @property
    def articles_per_second(self) -> float:
        return self.seen / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.seen} seen: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.duplicate} duplicate, {self.failed} failed "
            f"in {self.seconds:.1f} s ({self.articles_per_second:.1f} articles/s)"
        )


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
        iter_prepared(list(paths), web),
        engine=engine,
        model=model,
        batch_size=batch_size,
        strict=strict,
        on_record=on_record,
        workers=workers,
    )


def iter_prepared(
    inputs: Iterable[Path | str], web: Web | None = None
) -> Iterator[PreparedArticle | RecordError]:
    """Each record of the inputs read and cleaned: the stages before annotation."""
    web = web or Web()
    try:
        for record in iter_records(inputs, web):
            yield record if isinstance(record, RecordError) else prepare(record)
    finally:
        web.close()


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
    records: Iterable[PreparedArticle | RecordError],
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
                        record = RecordError(
                            f"duplicate id {record.raw.source_id!r} in the input "
                            f"(first at {earlier})",
                            path=record.raw.path,
                            line=record.raw.line,
                        )
                if isinstance(record, RecordError):
                    report.fail(record)
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
    hashes: dict[str, PreparedArticle] = {}
    for item in _needing_text(engine, items):
        hashes.setdefault(item.content_hash, item)
    texts = [item.body for item in hashes.values()]
    titles = [headline_of(item.title, item.body) for item in hashes.values()]
    return _Batch(items, list(hashes), annotator.submit(texts, titles))


def _needing_text(engine: Engine, items: list[PreparedArticle]) -> list[PreparedArticle]:
    """The items whose text is neither stored under their id nor under another's: the ones
    the store will most likely annotate. The store decides again in its transaction."""
    source_ids = [i.raw.source_id for i in items]
    hashes = [i.content_hash for i in items]
    stored = set(
        read_without_lock(
            engine,
            "SELECT source_id, content_hash FROM article WHERE source_id IN ({values})",
            source_ids,
        )
    )
    owners = dict(
        read_without_lock(
            engine,
            "SELECT content_hash, source_id FROM article WHERE content_hash IN ({values})",
            hashes,
        )
    )
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
            report.fail(
                RecordError(f"not stored: {annotation}", path=item.raw.path, line=item.raw.line)
            )
            logger.error("%s:%s not annotated: %s", item.raw.path, item.raw.line, annotation)
        else:
            items.append(item)
    if not items:
        return
    try:
        stored = write_with_retry(
            engine, lambda session: classify_and_save(session, items, annotations, model)
        )
    except Exception as exc:  # one bad batch must not lose the rest of the run
        # still locked after every retry: one by one, each article would wait as long again,
        # so they are all reported instead (and the exit code says so)
        if len(items) > 1 and not is_busy(exc):
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
            reason = f"not stored: {type(exc).__name__}: {exc}"
            report.fail(RecordError(reason, path=item.raw.path, line=item.raw.line))
        return
    for _, outcome, note in stored:
        report.count(outcome, note)


def write_with_retry(
    engine: Engine, write: Callable[[Session], T], retries: int = _BUSY_RETRIES
) -> T:
    """Run ``write`` in one transaction, again (with growing pauses) while SQLite answers
    SQLITE_BUSY (another ingest holds the write lock longer than the busy timeout) or
    PostgreSQL reports a conflict with another writer."""
    for attempt in range(retries + 1):
        try:
            with Session(engine) as session, session.begin():
                lock_for_writing(session.connection())
                return write(session)
        except DBAPIError as exc:
            if attempt == retries or not (is_busy(exc) or is_conflict(exc.orig)):
                raise
            pause = min(_BUSY_MAX_PAUSE_S, _BUSY_FIRST_PAUSE_S * 2**attempt)
            logger.info("database busy (%s); retrying in %.1f s", exc.orig, pause)
            time.sleep(pause * (0.5 + random.random()))  # jitter: two waiting ingests part
    raise AssertionError("unreachable")


def store_one(engine: Engine, item: PreparedArticle, *, model: str) -> tuple[Outcome, int]:
    """Store one article in its own transaction: (its outcome, the id of the stored article
    holding its text). ``DatabaseBusy`` when another writer holds the lock past the busy
    timeout: the API answers a 503 with Retry-After rather than hold a request for a minute."""
    texts = {i.content_hash: i.body for i in _needing_text(engine, [item])}
    titles = [headline_of(item.title, item.body)] * len(texts)
    annotated = annotate_texts(list(texts.values()), model, 1, titles)
    annotations = dict(zip(texts, annotated, strict=True))
    if isinstance(error := annotations.get(item.content_hash), str):
        raise RuntimeError(f"could not annotate: {error}")

    def write(session: Session) -> tuple[Outcome, int]:
        [(_, outcome, _)] = classify_and_save(session, [item], annotations, model)
        if outcome == Outcome.DUPLICATE:
            where = col(Article.content_hash) == item.content_hash
        else:
            where = col(Article.source_id) == item.raw.source_id
        article_id = session.exec(select(Article.id).where(where)).one()
        assert article_id is not None
        return outcome, article_id

    try:
        outcome, article_id = write_with_retry(engine, write, retries=0)
    except DBAPIError as exc:
        # another writer holds the lock (SQLite) or won a race (PostgreSQL: a deadlock, a
        # unique key it stored meanwhile): trying again later will succeed
        if is_busy(exc) or is_conflict(exc.orig):
            raise DatabaseBusy("The database is busy with another write; try again.") from None
        raise
    INGESTED.labels(outcome=outcome.value).inc()
    return outcome, article_id


def delete_article(engine: Engine, article_id: int) -> bool:
    """Delete an article with its quotes and mentions; False when there is no such article."""
    with Session(engine) as session, session.begin():
        # the write lock as ingestion takes it: the article's story must not change under it
        lock_for_writing(session.connection())
        return remove_article(session, article_id)
