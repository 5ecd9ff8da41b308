"""Peak memory of reading JSON Lines files of growing size (parse, validate and clean every
record, no NLP), each in a process of its own: streamed, it stays flat (issue 10).

Usage: python -m bench.reading [--mib 1 512]"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PARSE = """
import resource, sys
from pathlib import Path
from app.ingest.run import iter_prepared
seen = sum(1 for _ in iter_prepared([Path(sys.argv[1])]))
print(seen, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_parse_memory(sizes_mib: list[int]) -> None:
    """Peak memory of reading JSON Lines files of growing size: streamed, it should stay flat."""
    body = "The harbour board met on Monday and approved the plan for the new wall. " * 40
    print("## Reading big files (parse and clean only, no NLP)\n")
    print("| file | records | seconds | peak RSS |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes_mib:
            path = Path(folder) / f"{size}mib.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                n = 0
                while handle.tell() < size * 2**20:
                    handle.write(json.dumps({"id": f"r{n}", "title": f"T{n}", "body": body}))
                    handle.write("\n")
                    n += 1
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _PARSE, str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            seconds = time.perf_counter() - started
            records, peak_kib = done.stdout.split()
            print(f"| {size} MiB | {records} | {seconds:.1f} | {int(peak_kib) / 1024:.0f} MiB |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, nargs="+", default=[1, 512])
    bench_parse_memory(parser.parse_args().mib)


if __name__ == "__main__":
    main()
