"""Split PolNeAR train into a tuning part and a report part by a stable hash of ``doc_id``.

    python eval/polnear_split.py /work/shared/polnear-train/polnear_train.jsonl /tmp/polnear
    POLNEAR_GOLD=/tmp/polnear/report.jsonl POLNEAR_LIMIT=120 bash .../check.sh quotes

A document goes to ``report`` when the first hex digit of sha1(doc_id) is 0-3 (a quarter),
else to ``tune``. Rules are developed on ``tune`` only; ``report`` is read for figures, never
for error analysis. The files are written outside the repository (the texts are not ours).
"""

import hashlib
import json
import sys
from pathlib import Path

PARTS = ("tune", "report")


def part_of(doc_id: str) -> str:
    return "report" if hashlib.sha1(doc_id.encode()).hexdigest()[0] in "0123" else "tune"


def main(source: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {part: (out / f"{part}.jsonl").open("w", encoding="utf-8") for part in PARTS}
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                files[part_of(json.loads(line)["doc_id"])].write(line)
    for f in files.values():
        f.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
