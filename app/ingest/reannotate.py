"""Re-extraction of stored articles (issue 20): the articles whose ``extraction`` is not the
current one (``app.nlp.extraction_version``) are annotated again, batch by batch on the
ingest's process pool, and their quotes and mentions replaced through the store's own path
(``store.reextract``), one short write transaction per batch. A killed run loses at most its
open batch: what it stored is current, so running it again carries on with the rest."""

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, or_, update
from sqlmodel import Session, col, func, select

from app.db.models import Article
from app.ingest.annotate import AnnotationOrError, Annotator
from app.ingest.clean import headline_of
from app.ingest.run import write_with_retry
from app.ingest.store import EntityCache, link_entities, reextract
from app.nlp import Annotation, extraction_version

logger = logging.getLogger(__name__)

# ids marked stale per transaction by `--all` (short, so the API's writers are not held up)
_MARK_BATCH = 1000


@dataclass
class ReannotateReport:
    """What a run did: articles re-extracted, skipped (changed or deleted meanwhile, already
    current), failed (not annotated), and the time taken."""

    stale: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        return (
            f"{self.stale} stale: {self.done} re-extracted, {self.skipped} skipped, "
            f"{self.failed} failed in {self.seconds:.1f} s ({rate:.1f} articles/s)"
        )


@dataclass(frozen=True)
class _Stored:
    """An article as read for annotation: what tells whether it changed before the write."""

    id: int
    content_hash: str
    title: str
    body: str


def _stale(version: str) -> ColumnElement[bool]:
    return or_(col(Article.extraction).is_(None), col(Article.extraction) != version)


def count_stale(engine: Engine, *, model: str, all_articles: bool = False) -> int:
    """How many stored articles were not extracted with the current model and rules (with
    ``all_articles``: how many there are)."""
    statement = select(func.count()).select_from(Article)
    if not all_articles:
        statement = statement.where(_stale(extraction_version(model)))
    with Session(engine) as session:
        return int(session.exec(statement).one())


def mark_all_stale(engine: Engine) -> None:
    """Mark every article for re-extraction (``--all``), a thousand ids per transaction, so
    that a run killed after this carries on with a plain ``corpus reannotate``."""
    last = 0
    while True:
        with Session(engine) as session:
            ids = list(
                session.exec(
                    select(Article.id)
                    .where(col(Article.id) > last, col(Article.extraction).is_not(None))
                    .order_by(col(Article.id))
                    .limit(_MARK_BATCH)
                )
            )
        if not ids:
            return

        def mark(session: Session, chosen: list[int | None] = ids) -> None:
            session.execute(
                update(Article)
                .where(col(Article.id).in_(chosen))
                .values(extraction=None)
                .execution_options(synchronize_session=False)
            )

        write_with_retry(engine, mark)
        last = ids[-1] or 0


def reannotate(
    engine: Engine,
    *,
    model: str,
    batch_size: int = 64,
    workers: int = 1,
    on_article: Callable[[int], None] | None = None,
) -> ReannotateReport:
    """Re-extract every stale article in id order. With ``workers`` > 1 the next ``workers``
    batches are being annotated while one is stored, as in ``ingest``; ``on_article(n)`` is
    called after each stored batch with its size (for a progress bar)."""
    report = ReannotateReport(stale=count_stale(engine, model=model))
    version = extraction_version(model)
    started = time.perf_counter()
    pending: deque[tuple[list[_Stored], Callable[[], list[AnnotationOrError]]]] = deque()
    ahead = workers if workers > 1 else 0
    last = 0
    try:
        with Annotator(model=model, batch_size=batch_size, workers=workers) as annotator:
            while True:
                batch = _next_batch(engine, version, last, batch_size)
                if batch:
                    last = batch[-1].id
                    texts = [a.body for a in batch]
                    titles = [headline_of(a.title, a.body) for a in batch]
                    pending.append((batch, annotator.submit(texts, titles)))
                while pending and (len(pending) > ahead or not batch):
                    articles, result = pending.popleft()
                    _store(engine, articles, result(), version, report)
                    if on_article:
                        on_article(len(articles))
                if not batch:
                    break
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _next_batch(engine: Engine, version: str, last: int, size: int) -> list[_Stored]:
    """The next stale articles after id ``last`` (read outside any write transaction)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Article.id, Article.content_hash, Article.title, Article.body)
            .where(col(Article.id) > last, _stale(version))
            .order_by(col(Article.id))
            .limit(size)
        ).all()
    return [_Stored(row[0] or 0, row[1], row[2], row[3]) for row in rows]


def _store(
    engine: Engine,
    batch: list[_Stored],
    annotations: list[AnnotationOrError],
    version: str,
    report: ReannotateReport,
) -> None:
    """Replace the extraction of a batch's articles in one transaction; an article whose text
    changed meanwhile (an ingest stored it again, with its own extraction) or that is gone is
    skipped."""
    annotated: dict[int, Annotation] = {}
    for article, annotation in zip(batch, annotations, strict=True):
        if isinstance(annotation, str):
            report.failed += 1
            report.errors.append(f"article {article.id}: not annotated: {annotation}")
            logger.error("article %s not annotated: %s", article.id, annotation)
        else:
            annotated[article.id] = annotation
    hashes = {a.id: a.content_hash for a in batch}

    def write(session: Session) -> tuple[int, int]:
        entities = EntityCache(session)
        done = skipped = 0
        redone: list[int] = []
        stored = session.exec(select(Article).where(col(Article.id).in_(list(annotated))))
        for article in stored.all():
            assert article.id is not None
            if article.content_hash != hashes[article.id] or article.extraction == version:
                skipped += 1
                continue
            reextract(session, article, annotated[article.id], entities, version)
            redone.append(article.id)
            done += 1
        link_entities(session, redone, entities)
        return done, len(annotated) - done

    done, skipped = write_with_retry(engine, write)
    report.done += done
    report.skipped += skipped
