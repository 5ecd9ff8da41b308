"""Ingestion words/s beside bare ``nlp.pipe(n_process=2)`` with the same model on the same texts,
in the same run (issue 8: at least 0.8×). Each side runs in a fresh process, timed from just
before the model loads to the last stored article (ours) or the last Doc (bare).

Usage: python -m bench.ingesting [--corpus FILE] [--articles 400] [--workers 2]"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.ingest.clean import PreparedArticle
from app.ingest.run import iter_prepared

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"

_BARE = """
import json, sys, time
import spacy  # imported before the clock starts, as the ingest process imports it
from app.nlp.pipeline import load_pipeline
texts = json.load(open(sys.argv[1], encoding="utf-8"))
started = time.perf_counter()
nlp = load_pipeline(sys.argv[2])
for doc in nlp.pipe(texts, batch_size=int(sys.argv[3]), n_process=int(sys.argv[4])):
    pass
print(time.perf_counter() - started)
"""

_OURS = """
import sys, time
from pathlib import Path
import spacy
from app.engines.connect import create_db_engine
from app.ingest.run import ingest
engine = create_db_engine(sys.argv[1])
started = time.perf_counter()
report = ingest([Path(sys.argv[2])], engine=engine, model=sys.argv[3],
                batch_size=int(sys.argv[4]), workers=int(sys.argv[5]))
assert report.added and not report.failed, report.summary()
print(time.perf_counter() - started)
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> float:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return float(done.stdout.split()[-1])


def bench_ingest_rate(
    corpus: Path, articles: int, workers: int, batch_size: int, model: str, rounds: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample.jsonl"
        with corpus.open(encoding="utf-8") as source, sample.open("w", encoding="utf-8") as out:
            for _, line in zip(range(articles), source, strict=False):
                out.write(line)
        prepared = [r for r in iter_prepared([sample]) if isinstance(r, PreparedArticle)]
        words = sum(r.word_count for r in prepared)
        texts = Path(folder) / "texts.json"
        texts.write_text(json.dumps([r.body for r in prepared]), encoding="utf-8")
        print(f"## Ingestion beside bare nlp.pipe (n_process={workers})\n")
        print(f"{len(prepared)} articles, {words:,} words, model {model}, batch {batch_size}\n")
        print("| round | bare words/s | ingest words/s | ratio |")
        print("| --- | --- | --- | --- |")
        ratios = []
        for round_ in range(1, rounds + 1):
            db = Path(folder) / f"round{round_}.db"
            env = {**os.environ, "CORPUS_DATABASE_URL": f"sqlite:///{db}"}
            subprocess.run(
                [sys.executable, "-m", "app.cli", "migrate"],
                check=True,
                capture_output=True,
                cwd=ROOT,
                env=env,
            )
            bare = (_BARE, str(texts), model, str(batch_size), str(workers))
            ours = (_OURS, env["CORPUS_DATABASE_URL"], str(sample), model, str(batch_size))
            # alternate which side runs first, so neither always gets the quieter machine
            if round_ % 2:
                bare_s = _run(*bare)
                ours_s = _run(*ours, str(workers), env=env)
            else:
                ours_s = _run(*ours, str(workers), env=env)
                bare_s = _run(*bare)
            ratio = bare_s / ours_s
            ratios.append(ratio)
            print(f"| {round_} | {words / bare_s:,.0f} | {words / ours_s:,.0f} | {ratio:.2f}× |")
        print(f"\nmedian ratio: {sorted(ratios)[len(ratios) // 2]:.2f}×\n")


def main() -> None:
    from app.config import get_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=get_settings().SPACY_MODEL)
    args = parser.parse_args()
    bench_ingest_rate(
        args.corpus, args.articles, args.workers, args.batch_size, args.model, args.rounds
    )


if __name__ == "__main__":
    main()
