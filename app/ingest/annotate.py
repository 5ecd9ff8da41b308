"""Annotation for ingestion, outside any database transaction: texts are cut into parts spaCy
accepts, annotated in this process or by a pool of worker processes (one per core), and the
results come back in input order."""

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from types import TracebackType

from app.nlp import Annotation, annotate
from app.nlp.entities import EntityMention, link_mentions
from app.nlp.headlines import headline_quotes, with_headline
from app.nlp.pipeline import load_pipeline
from app.nlp.quotes import QuoteSpan

logger = logging.getLogger(__name__)

# a text longer than this is annotated in parts: spaCy refuses a text over nlp.max_length
# (1,000,000, error E088) and needs about 1 GB of memory per 100,000 characters for the parser
# and NER (https://spacy.io/api/language#init); shorter texts keep their whole context
NLP_PART_CHARS = 100_000
# the size of those parts: the extractors compare each quote with every sentence, token or
# mention of its doc, so a whole 100,000-character part cost a third more CPU per character
# than parts of 10,000; and many parts spread over the worker processes (issue 8: a 1 MB
# article took 27 s on one core)
PART_CHARS = 10_000
# a part never ends before a line that opens with one of these: the line may carry on the
# quote before it (a multi-paragraph quote, or a dash signature naming its speaker)
_CONTINUING = "\"“”'‘’—–-"
# nor after a line ending with one of these: it introduces a block quote on the next line
_INTRODUCING = ":;"
# how often a worker checks that the process that started it is still there (a SIGKILLed
# ingest must not leave its workers behind, each holding a model in memory)
_PARENT_CHECK_S = 1.0

AnnotationOrError = Annotation | str
"""An annotation, or why the text could not be annotated ("ValueError: …")."""


def annotate_in_parts(
    texts: Sequence[str], *, model: str, batch_size: int, part_chars: int | None = None
) -> Iterator[Annotation]:
    """``annotate``, with each text longer than ``part_chars`` cut into parts (``text_parts``)
    and the parts' offsets shifted back into the whole text."""
    owners: list[tuple[int, int]] = []  # (text index, offset of the part in it)
    parts: list[str] = []
    for index, text in enumerate(texts):
        for offset, part in text_parts(text, part_chars):
            owners.append((index, offset))
            parts.append(part)
    annotations = annotate(parts, model=model, batch_size=batch_size)
    for merged in _merged(len(texts), owners, annotations):
        assert isinstance(merged, Annotation)  # annotate raises rather than return an error
        yield merged


def text_parts(text: str, whole_chars: int | None = None) -> list[tuple[int, str]]:
    """(offset, part): the text itself when it has at most ``whole_chars`` characters (default
    ``NLP_PART_CHARS``), else parts of at most ``PART_CHARS`` cut where no quote, block quote
    or its speaker runs on."""
    whole_chars = NLP_PART_CHARS if whole_chars is None else whole_chars
    if len(text) <= whole_chars:
        return [(0, text)]
    return list(split_text(text, min(whole_chars, PART_CHARS)))


def split_text(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, part) with every part at most ``limit`` characters, cut before a paragraph
    that does not carry on the one before (``_CONTINUING``, ``_INTRODUCING``), else before
    any line, else after a space, else anywhere."""
    start = 0
    while len(text) - start > limit:
        cut = _cut(text, start, start + limit)
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _cut(text: str, start: int, stop: int) -> int:
    """Where the part from ``start`` ends, at most at ``stop``: the last safe paragraph break
    (a blank line), else the last safe line break, else the last paragraph, line or word
    break."""
    for blank_line in (True, False):
        newline = text.rfind("\n", start, stop)
        while newline > start:
            cut = newline + 1
            if _safe_cut(text, start, cut) and (not blank_line or text[newline - 1] == "\n"):
                return cut
            newline = text.rfind("\n", start, newline)
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, start, stop)
        if cut > start:
            return cut + len(separator)
    return stop


def _safe_cut(text: str, start: int, cut: int) -> bool:
    """``cut`` starts a line with words, which does not carry on a quote from the line before
    and does not follow the introduction of a block quote."""
    if cut >= len(text) or text[cut].isspace() or text[cut] in _CONTINUING:
        return False
    # a bounded look back: the lines before a cut are short next to the part
    before = text[max(start, cut - 200) : cut].rstrip()
    return bool(before) and before[-1] not in _INTRODUCING


def _merged(
    count: int, owners: Sequence[tuple[int, int]], annotations: Iterable[AnnotationOrError]
) -> list[AnnotationOrError]:
    """The annotations of the parts of ``count`` texts, joined per text with their offsets
    shifted into it; a text with a part that failed is that failure."""
    entities: list[list[EntityMention]] = [[] for _ in range(count)]
    quotes: list[list[QuoteSpan]] = [[] for _ in range(count)]
    parts = [0] * count
    failures: dict[int, str] = {}
    for (index, offset), annotation in zip(owners, annotations, strict=True):
        parts[index] += 1
        if isinstance(annotation, str):
            failures.setdefault(index, annotation)
            continue
        if offset:
            annotation = _shifted(annotation, offset)
        entities[index] += annotation.entities
        quotes[index] += annotation.quotes
    return [
        failures[index]
        if index in failures
        else _across_parts(entities[index], quotes[index])
        if parts[index] > 1
        else Annotation(entities=tuple(entities[index]), quotes=tuple(quotes[index]))
        for index in range(count)
    ]


def _across_parts(entities: list[EntityMention], quotes: list[QuoteSpan]) -> Annotation:
    """The doc-wide entity rules once more over the mentions of all parts, as over a whole
    text: a lone surname takes the full name another part gives, and a name gets the type
    most of its mentions in the whole text have (each part voted on its own). Speakers follow
    their mentions."""
    linked = link_mentions(entities)
    by_span = {(m.start, m.end): m for m in linked}
    return Annotation(
        entities=tuple(linked),
        quotes=tuple(
            replace(q, speaker=by_span.get((q.speaker.start, q.speaker.end), q.speaker))
            if q.speaker
            else q
            for q in quotes
        ),
    )


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


def annotate_texts(
    texts: Sequence[str], model: str, batch_size: int, titles: Sequence[str] | None = None
) -> list[AnnotationOrError]:
    """Annotate ``texts`` (and the quotes of their ``titles``, "" for none); when that fails,
    annotate them one by one so that a text spaCy or an extractor cannot handle costs only
    itself."""
    return _with_headlines(_annotate_bodies(texts, model, batch_size), texts, titles, model)


def _annotate_bodies(texts: Sequence[str], model: str, batch_size: int) -> list[AnnotationOrError]:
    try:
        return list(annotate_in_parts(texts, model=model, batch_size=batch_size))
    except Exception as exc:  # kept as this text's failure, or retried text by text
        if len(texts) == 1:
            return [f"{type(exc).__name__}: {exc}"]
    return [_annotate_bodies([text], model, 1)[0] for text in texts]


TitleQuotes = tuple[QuoteSpan, ...]


def title_quotes(pairs: Sequence[tuple[str, str]], model: str) -> list[TitleQuotes]:
    """The headline quotes of (title, body) pairs (``app.nlp.headlines``); a headline the rules
    fail on has none rather than costing its article."""
    if not any(title for title, _ in pairs):
        return [() for _ in pairs]
    try:
        return headline_quotes(pairs, model=model)
    except Exception:  # retried one by one below; a failing headline is logged and skipped
        if len(pairs) == 1:
            logger.exception("headline %r not annotated", pairs[0][0][:80])
            return [()]
    return [title_quotes([pair], model)[0] for pair in pairs]


def _with_headlines(
    annotations: Sequence[AnnotationOrError],
    texts: Sequence[str],
    titles: Sequence[str] | None,
    model: str,
    found: Sequence[TitleQuotes] | None = None,
) -> list[AnnotationOrError]:
    """Each annotation with its headline's quotes, their speakers resolved in its body."""
    if titles is None:
        return list(annotations)
    if found is None:
        found = title_quotes(list(zip(titles, texts, strict=True)), model)
    return [
        with_headline(a, quotes) if isinstance(a, Annotation) and quotes else a
        for a, quotes in zip(annotations, found, strict=True)
    ]


class Annotator:
    """Annotates batches of texts in order, in this process (``workers=1``) or in a pool of
    worker processes. ``submit`` returns at once; calling what it returns waits for the
    annotations, so a caller can keep the pool busy with later batches while it stores one."""

    def __init__(self, *, model: str, batch_size: int, workers: int = 1) -> None:
        self.model = model
        self.batch_size = batch_size
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Annotator":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            # an interrupted run does not wait for batches nobody will store
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(
        self, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> Callable[[], list[AnnotationOrError]]:
        """Start annotating ``texts`` and the headlines ``titles`` ("" for none)."""
        if not texts:
            return list
        if self.workers == 1:
            return lambda: annotate_texts(texts, self.model, self.batch_size, titles)
        pool = self._start()
        # parts, not texts, are shared out: one long article keeps every worker busy
        owners: list[tuple[int, int]] = []
        parts: list[str] = []
        for index, text in enumerate(texts):
            for offset, part in text_parts(text):
                owners.append((index, offset))
                parts.append(part)
        futures: list[Future[list[AnnotationOrError]]] = [
            pool.submit(annotate_texts, chunk, self.model, self.batch_size)
            for chunk in _chunks(parts, self.workers)
        ]
        # headlines are short: one task for the batch's, beside its parts
        headlines = (
            pool.submit(title_quotes, list(zip(titles, texts, strict=True)), self.model)
            if titles is not None and any(titles)
            else None
        )

        def result() -> list[AnnotationOrError]:
            merged = _merged(
                len(texts), owners, (one for future in futures for one in future.result())
            )
            if headlines is None:
                return merged
            return _with_headlines(merged, texts, titles, self.model, headlines.result())

        return result

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: a worker starts in milliseconds with spaCy already imported (a fresh
            # interpreter, with spawn or forkserver, took seconds per run). The children only
            # annotate; they touch none of the locks or connections of this process's other
            # threads, and logging re-creates its locks at fork. spaCy's own nlp.pipe(n_process)
            # forks the same way on Linux.
            context = multiprocessing.get_context("fork")
            # loaded before the fork, the model is shared (copy on write), not loaded twice
            load_pipeline(self.model)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.model, os.getpid()),
            )
        return self._pool


def _chunks(texts: Sequence[str], count: int) -> list[Sequence[str]]:
    """``texts`` cut into ``count`` consecutive runs of about the same number of characters."""
    total = sum(len(t) for t in texts)
    chunks: list[Sequence[str]] = []
    start, size = 0, 0
    for index, text in enumerate(texts):
        size += len(text)
        if size * count >= total * (len(chunks) + 1) and len(chunks) < count - 1:
            chunks.append(texts[start : index + 1])
            start = index + 1
    chunks.append(texts[start:])
    return [chunk for chunk in chunks if chunk]


def _start_worker(model: str, ingest_pid: int) -> None:
    load_pipeline(model)

    def watch() -> None:
        # a SIGKILLed ingest cannot stop its workers: they notice they were orphaned and exit
        while os.getppid() == ingest_pid:
            threading.Event().wait(_PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
