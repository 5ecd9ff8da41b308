"""Relevance that does not score every match (issue 21), measured before it is built: tantivy's
BM25 with block-max WAND beside FTS5's exact bm25 on the same SQLite corpus, for the time of a
top 20 on each search shape and the overlap of the two top 20s over 50 real queries.

    python -m bench.ranking DB [--index DIR] [--build] [--overlap]

``--build`` indexes the corpus's articles in tantivy (``DIR``, default ``DB.tantivy``); one
field holds the title ten times and the body, so that a title hit weighs ten body hits in one
document as ``bm25(10.0, 1.0)`` does. The queries for ``--overlap`` come from the corpus: its
20 most frequent title words (four letters or more, a few function words left out), and its
15 most mentioned two-word names, as two words (AND) and as a phrase. Ties make the overlap
meaningless on a copied corpus (every article 41 or 413 times): measure it on the real one.
"""

import argparse
import collections
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import tantivy

# FTS5's porter stems, tantivy's en_stem is Snowball's English: the same words nearly always
SHAPES = [
    ("common `year`", "year"),
    ("rare `melbourne`", "melbourne"),
    ('phrase `"united states"`', '"united states"'),
    ("prefix `init*`", "init*"),
]
_FUNCTION_WORDS = set(
    "the and for with from that this have will been were their they said says after over into "
    "about than more when what which would could also just under while where there those these "
    "other being before still only".split()
)


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_date_field("published", fast=True, indexed=True)
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    return builder.build()


def build(db: sqlite3.Connection, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(folder))
    writer = index.writer(heap_size=512_000_000)
    started = time.perf_counter()
    rows = db.execute("SELECT id, title, body, published FROM article")
    for n, (article_id, title, body, published) in enumerate(rows, 1):
        document = tantivy.Document(id=article_id, text=[title] * 10 + [body])
        if published:
            document.add_date("published", datetime.fromisoformat(published))
        writer.add_document(document)
        if n % 100_000 == 0:
            print(f"  {n:,} articles, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    writer.commit()
    writer.wait_merging_threads()
    size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    print(f"indexed in {time.perf_counter() - started:.0f} s; {size:,.0f} MiB")


class Tantivy:
    def __init__(self, folder: Path) -> None:
        self.schema = schema()
        self.index = tantivy.Index.open(str(folder))
        self.searcher = self.index.searcher()

    def query(self, text: str) -> tantivy.Query:
        """Our language's meaning for the shapes measured: words AND, a phrase, a prefix."""
        if text.endswith("*"):
            return tantivy.Query.regex_query(self.schema, "text", re.escape(text[:-1]) + ".*")
        if text.startswith('"'):
            return self.index.parse_query(text, ["text"])
        must = tantivy.Occur.Must
        return tantivy.Query.boolean_query(
            [(must, self.index.parse_query(word, ["text"])) for word in text.split()]
        )

    def top(self, text: str) -> list[int]:
        hits = self.searcher.search(self.query(text), 20).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]

    def count(self, text: str) -> int:
        result = self.searcher.search(self.query(text), 1, count=True)
        return int(result.count)  # type: ignore[attr-defined]  # missing from its stubs


def fts5_top(db: sqlite3.Connection, text: str) -> list[int]:
    sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH ? ORDER BY rank, rowid LIMIT 20"
    return [row[0] for row in db.execute(sql, (text,))]


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def real_queries(db: sqlite3.Connection) -> list[str]:
    words: collections.Counter[str] = collections.Counter()
    for (title,) in db.execute("SELECT title FROM article"):
        found = re.findall(r"[a-z]+", title.lower())
        words.update(w for w in found if len(w) >= 4 and w not in _FUNCTION_WORDS)
    names = [
        name.lower()
        for (name,) in db.execute(
            "SELECT name FROM entity WHERE type IN ('PERSON', 'ORG', 'GPE') "
            "AND name GLOB '[A-Z]* [A-Z]*' AND name NOT GLOB '* * *' "
            "ORDER BY article_count DESC LIMIT 15"
        )
    ]
    return [w for w, _ in words.most_common(20)] + names + [f'"{n}"' for n in names]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ranking", description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--overlap", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = args.index or args.db.with_suffix(".tantivy")
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    if args.build or not folder.exists():
        build(db, folder)
    engine = Tantivy(folder)
    print(f"{engine.searcher.num_docs:,} articles, {engine.searcher.num_segments} segment(s)")
    print("| shape | tantivy p50 ms | FTS5 bm25 p50 ms | matches (tantivy / FTS5) |")
    print("| --- | --- | --- | --- |")
    for name, text in SHAPES:
        ours = median_ms(partial(engine.top, text), args.runs)
        exact = median_ms(partial(fts5_top, db, text), max(1, args.runs // 2))
        fts5_count = db.execute(
            "SELECT count(*) FROM article_fts WHERE article_fts MATCH ?", (text,)
        ).fetchone()[0]
        print(f"| {name} | {ours:.1f} | {exact:.1f} | {engine.count(text):,} / {fts5_count:,} |")
    if args.overlap:
        overlaps = []
        for text in real_queries(db):
            exact_top = fts5_top(db, text)
            if exact_top:
                overlaps.append(len(set(engine.top(text)) & set(exact_top)) / len(exact_top))
                print(f"  {text}: {overlaps[-1]:.2f}")
        print(
            f"top-20 overlap with FTS5's bm25 over {len(overlaps)} queries: mean "
            f"{statistics.mean(overlaps):.3f}, median {statistics.median(overlaps):.2f}, "
            f"lowest {min(overlaps):.2f}"
        )


if __name__ == "__main__":
    main()
