"""Relevance that does not score every match: a tantivy index (BM25 with block-max WAND) kept
beside the database and in step with it, which gives the best-ranked candidates of a big
search; the engine checks them against the table and the filters, and falls back to its own
exact ranking when they do not fill the page (docs/scaling.md, "the choice").

The database stays the truth. The index is derived, in a folder of its own (one per host):
``sync`` applies the database's log of changed articles (``article_change``, written by
triggers in each write's transaction) and records how far it got only after tantivy's commit,
so a sync that is killed is replayed (a document is deleted by id and added again: the same
result twice); an index that is missing, or behind a log that no longer reaches it, is built
again from the articles. One process at a time writes (tantivy's lock on the folder); the
others only reload."""

import json
import logging
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import Connection, Engine, text

from app.engines.connect import sqlite_path
from app.search.language import And, Group, Near, Node, Not, Or, Scope, Term

log = logging.getLogger(__name__)

# the title ten times and the body in one field: a title hit weighs ten body hits in one
# document, as FTS5's bm25(10.0, 1.0) does (bench/ranking.py: 0.94 overlap with it)
TITLE_WEIGHT = 10
_POSITION = "position.json"
_ARTICLES = "SELECT id, title, body, published FROM article"
_CHUNK = 2000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("text", "title", "body"):
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    return builder.build()


class Ranker:
    """The index in ``folder``: ``top`` for searches, ``sync`` to catch up with a database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schema = _schema()
        self._lock = threading.Lock()
        # opened when there is one; made by the first sync (a small corpus never needs one)
        self._index: tantivy.Index | None = None

    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(self.schema, path=str(self.folder))
        return self._index

    # --- reading ------------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The last change of the log the index holds (-1: never built)."""
        try:
            return int(json.loads((self.folder / _POSITION).read_text())["seq"])
        except (OSError, ValueError, KeyError):
            return -1

    def top(self, expression: Node, n: int) -> list[tuple[int, float]] | None:
        """The ``n`` best (article id, score) for a query, best first; None when the index was
        never built or cannot express the query (the engine then ranks it itself)."""
        found = self.search(expression, n, count=False)
        return None if found is None else found[0]

    def search(
        self, expression: Node, n: int, *, count: bool
    ) -> tuple[list[tuple[int, float]], int | None] | None:
        """``top``, and with ``count`` how many articles the index holds that match, in one
        pass over the matches."""
        if (query := self._built_query(expression)) is None:
            return None
        searcher = self.index.searcher()
        result = searcher.search(query, n, count=count)
        hits = [
            (int(searcher.doc(address)["id"][0]), float(score)) for score, address in result.hits
        ]
        return hits, result.count if count else None  # type: ignore[attr-defined]  # not in the stub

    def newest(self, expression: Node, n: int) -> list[int] | None:
        """The ``n`` highest article ids that match a query (the facets' sample); None as for
        ``top``."""
        if (query := self._built_query(expression)) is None:
            return None
        hits = self.index.searcher().search(query, n, count=False, order_by_field="id").hits
        return [int(key) for key, _ in hits]

    def _built_query(self, expression: Node) -> tantivy.Query | None:
        """The query in tantivy's terms, or None when there is no index yet or no equal."""
        return None if self.position < 0 else self._query(expression, "text")

    def _query(self, node: Node, field: str) -> tantivy.Query | None:
        """Our query tree in tantivy's terms, with the same meaning: words and phrases in a
        field, AND, OR, NOT, a one-word prefix; None for what it has no equal of (NEAR, a
        prefix at the end of a phrase)."""
        match node:
            case Term(words, prefix):
                if prefix:
                    if " " in words:
                        return None
                    stem = re.escape(words.casefold())
                    return tantivy.Query.regex_query(self.schema, field, stem + ".*")
                # quoted: tantivy tokenizes the words as one phrase, never as syntax
                return self.index.parse_query('"' + words.replace('"', " ") + '"', [field])
            case And(parts) | Or(parts):
                occur = tantivy.Occur.Must if isinstance(node, And) else tantivy.Occur.Should
                queries = [self._query(part, field) for part in parts]
                if None in queries:
                    return None
                return tantivy.Query.boolean_query([(occur, q) for q in queries if q is not None])
            case Not(keep, drop):
                kept, dropped = self._query(keep, field), self._query(drop, field)
                if kept is None or dropped is None:
                    return None
                return tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, kept), (tantivy.Occur.MustNot, dropped)]
                )
            case Scope(scope, inner):
                return self._query(inner, scope)
            case Group(inner):
                return self._query(inner, field)
            case Near():
                return None
        raise TypeError(node)

    # --- writing ------------------------------------------------------------------------------

    def sync(self, engine: Engine) -> int:
        """Apply the database's changes since the last sync (or build the index again when it
        cannot catch up); the number of articles written, 0 when another process holds the
        writer or nothing changed."""
        with self._lock:
            try:
                writer = self.index.writer(heap_size=128_000_000)
            except ValueError:  # another process writes: it will commit, we reload
                self.index.reload()
                return 0
            try:
                with engine.connect() as connection:
                    done, head = self._apply(connection, writer)
                if head == self.position:
                    return 0
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                writer.rollback()
                raise
            finally:
                del writer  # releases the folder's lock
            # after the commit: a sync killed before this line is replayed
            (self.folder / _POSITION).write_text(json.dumps({"seq": head}))
            self.index.reload()
            return done

    def _apply(self, connection: Connection, writer: Any) -> tuple[int, int]:
        head = int(
            connection.execute(
                text("SELECT coalesce(max(seq), 0) FROM article_change")
            ).scalar_one()
        )
        position = self.position
        floor = connection.execute(text("SELECT min(seq) FROM article_change")).scalar_one()
        if position < 0 or position > head or (floor is not None and floor > position + 1):
            # never built, built from another database, or the log no longer reaches back
            writer.delete_all_documents()
            done = 0
            # streamed (a server-side cursor on PostgreSQL): a million bodies do not fit in memory
            articles = connection.execution_options(stream_results=True).execute(text(_ARTICLES))
            for rows in _batches(articles):
                done += self._add(writer, rows)
            return done, head
        changed = sorted(
            {
                row[0]
                for row in connection.execute(
                    text(
                        "SELECT article_id FROM article_change WHERE seq > :after AND seq <= :head"
                    ),
                    {"after": position, "head": head},
                )
            }
        )
        done = 0
        for start in range(0, len(changed), _CHUNK):
            ids = changed[start : start + _CHUNK]
            for article_id in ids:
                writer.delete_documents_by_term("id", article_id)
            names = ", ".join(f":id_{n}" for n in range(len(ids)))
            found = connection.execute(
                text(f"{_ARTICLES} WHERE id IN ({names})"),
                {f"id_{n}": article_id for n, article_id in enumerate(ids)},
            ).all()
            done += self._add(writer, list(found))
        return done, head

    def _add(self, writer: Any, rows: list[Any]) -> int:
        for article_id, title, body, _published in rows:
            writer.add_document(
                tantivy.Document(
                    id=article_id,
                    text=[title] * TITLE_WEIGHT + [body],
                    title=title,
                    body=body,
                )
            )
        return len(rows)

    def drop(self) -> None:
        """Forget the index (``corpus reindex``): the next sync builds it from the tables."""
        with self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._index = None


def _batches(rows: Any) -> Iterator[list[Any]]:
    while batch := rows.fetchmany(_CHUNK):
        yield batch


def folder_for(setting: str, database_url: str) -> Path | None:
    """Where the index lives: the setting's folder, or beside a SQLite file; None when off."""
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    path = sqlite_path(database_url)
    return None if path is None else path.with_name(path.name + ".ranker")


class Syncer:
    """Keeps a ranker in step from a thread of its own, on an engine of its own (closed with
    it): once the corpus has ``min_articles`` (or the index was built before), a sync every
    ``interval_s``."""

    def __init__(self, ranker: Ranker, engine: Engine, interval_s: float, min_articles: int):
        self.ranker, self.engine = ranker, engine
        self.interval_s, self.min_articles = interval_s, min_articles
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ranker-sync", daemon=True)
        self._thread.start()

    def _big_enough(self) -> bool:
        if self.ranker.position >= 0:
            return True
        with self.engine.connect() as connection:
            articles = connection.execute(
                text("SELECT total FROM corpus_count WHERE name = 'article'")
            ).scalar()
        return (articles or 0) >= self.min_articles

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._big_enough():
                    self.ranker.sync(self.engine)
            except Exception:  # a database away for a moment: the next round tries again
                log.warning("search index sync failed; retrying", exc_info=True)
            self._stop.wait(self.interval_s)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.engine.dispose()
