"""Extraction time against article length (issue 8: linear, a 1 MB article in under 10 s): one
text of N characters cut from the shared corpus's bodies, annotated as ingestion annotates it
(in parts, on the worker processes of ``corpus ingest``), the model loaded and the workers
started before the clock starts. CPU time comes with the wall time, in all and for the busiest
process (what the wall time would be on free cores, at least); it ends with the peak memory of
this process and of a worker.

Usage: python -m bench.longtext [--corpus FILE] [--workers N] 100000 200000 1000000"""

import argparse
import json
import os
import resource
import time
from pathlib import Path

from app.config import Settings
from app.ingest.annotate import Annotator
from app.nlp import Annotation

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpus/articles.jsonl"


def cpu_seconds() -> dict[int, float]:
    """CPU time of this process and of each live child (the workers), by pid: on a machine
    others share, wall time swings with their load, this much less."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [os.getpid()]
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    seconds = {}
    for pid in pids:
        # utime and stime are fields 14 and 15 of /proc/PID/stat, after "pid (name) state"
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--workers", type=int, default=len(os.sched_getaffinity(0)), help="default: one per core"
    )
    parser.add_argument("lengths", type=int, nargs="+", help="characters per article")
    args = parser.parse_args()
    with args.corpus.open(encoding="utf-8") as lines:
        corpus = "\n\n".join(json.loads(line)["body"] for line in lines)
    model = Settings().SPACY_MODEL
    print(f"{args.workers} worker(s), model {model}\n")
    print(
        "| characters | seconds | characters/s | CPU seconds | busiest process, CPU seconds "
        "| quotes | entity mentions |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with Annotator(model=model, batch_size=64, workers=args.workers) as annotator:
        # a short text per worker first: forks them and loads the model before the clock
        annotator.submit(["Ana Ruiz said it was over."] * args.workers)()
        for length in args.lengths:
            text = corpus[:length]
            started, before = time.perf_counter(), cpu_seconds()
            [annotation] = annotator.submit([text])()
            seconds, after = time.perf_counter() - started, cpu_seconds()
            used = [after[pid] - before.get(pid, 0.0) for pid in after]
            assert isinstance(annotation, Annotation), annotation
            print(
                f"| {len(text):,} | {seconds:.1f} | {len(text) / seconds:,.0f} | {sum(used):.1f} "
                f"| {max(used):.1f} "
                f"| {len(annotation.quotes)} | {len(annotation.entities)} |"
            )
    # ru_maxrss is in KiB on Linux; for children, the largest of those that ended (the workers)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS: this process {own:,.0f} MiB, largest worker {worker:,.0f} MiB")


if __name__ == "__main__":
    main()
