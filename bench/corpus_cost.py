"""The corpus layer's share of ingestion CPU (issue 19's target: stories and quotations cost at
most 10 % more CPU per article than ingesting without them): ingests the shared corpus into a
new SQLite file in this process (annotation included), timing the CPU spent in ``join_story``
and ``group_quotes`` against the CPU of the whole ingest.

Usage: python -m bench.corpus_cost [--limit 600] [--db /tmp/corpus-cost.db]"""

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cli import run_migrations
from app.config import Settings
from app.engines.connect import create_db_engine
from app.ingest import store
from app.ingest.run import ingest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles.jsonl"


def timed(function: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=600, help="articles from the corpus")
    parser.add_argument("--db", type=Path, default=Path("/tmp/corpus-cost.db"))
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    run_migrations(url)
    spent = {"stories": [0.0], "quotations": [0.0]}
    # the store stage's own references, so that every call it makes is timed
    names = vars(store)
    names["join_story"] = timed(names["join_story"], spent["stories"])
    names["group_quotes"] = timed(names["group_quotes"], spent["quotations"])
    with tempfile.TemporaryDirectory() as scratch:
        sample = Path(scratch) / "sample.jsonl"
        with CORPUS.open(encoding="utf-8") as lines:
            sample.write_text("".join(itertools.islice(lines, args.limit)), encoding="utf-8")
        engine = create_db_engine(url)
        started = time.process_time()
        report = ingest([sample], engine=engine, model=Settings().SPACY_MODEL, workers=1)
        total = time.process_time() - started
        engine.dispose()
    layer = spent["stories"][0] + spent["quotations"][0]
    stored = report.added + report.updated
    print(
        json.dumps(
            {
                "articles": stored,
                "cpu_s": round(total, 2),
                "cpu_ms_per_article": round(1000 * total / max(stored, 1), 2),
                "stories_ms_per_article": round(1000 * spent["stories"][0] / max(stored, 1), 2),
                "quotations_ms_per_article": round(
                    1000 * spent["quotations"][0] / max(stored, 1), 2
                ),
                "corpus_layer_share_of_cpu": round(layer / total, 4),
                "overhead_vs_without": round(layer / (total - layer), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
