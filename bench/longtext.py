"""Extraction time against article length (issue 8: linear, a 1 MB article in under 10 s): one
text of N characters cut from the shared corpus's bodies, annotated as ingestion annotates it
(in parts), the model loaded before the clock starts.

Usage: python -m bench.longtext [--corpus FILE] 100000 200000 1000000"""

import argparse
import json
import time
from pathlib import Path

from app.config import Settings
from app.ingest.annotate import annotate_in_parts
from app.nlp.pipeline import load_pipeline

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpus/articles.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("lengths", type=int, nargs="+", help="characters per article")
    args = parser.parse_args()
    with args.corpus.open(encoding="utf-8") as lines:
        corpus = "\n\n".join(json.loads(line)["body"] for line in lines)
    model = Settings().SPACY_MODEL
    load_pipeline(model)
    print("| characters | seconds | characters/s | quotes | entity mentions |")
    print("| --- | --- | --- | --- | --- |")
    for length in args.lengths:
        text = corpus[:length]
        started = time.perf_counter()
        annotation = next(annotate_in_parts([text], model=model, batch_size=8))
        seconds = time.perf_counter() - started
        print(
            f"| {len(text):,} | {seconds:.1f} | {len(text) / seconds:,.0f} "
            f"| {len(annotation.quotes)} | {len(annotation.entities)} |"
        )


if __name__ == "__main__":
    main()
