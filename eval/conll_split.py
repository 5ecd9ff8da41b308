"""Split CoNLL-2003 dev into a tuning half and a report half, by pseudo-article.

    python eval/conll_split.py /work/shared/conll2003-dev/conll2003_dev.jsonl /tmp/conll
    CONLL_GOLD=/tmp/conll/report.jsonl bash .../check.sh ner

The extraction check groups 25 consecutive sentences into one pseudo-article; even-numbered
pseudo-articles go to ``tune``, odd ones to ``report``, so each half keeps whole articles.
The files are written outside the repository (the texts are not ours).
"""

import sys
from pathlib import Path

SENTENCES_PER_ARTICLE = 25


def main(source: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(source, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    halves: dict[str, list[str]] = {"tune": [], "report": []}
    for i in range(0, len(lines), SENTENCES_PER_ARTICLE):
        part = "tune" if (i // SENTENCES_PER_ARTICLE) % 2 == 0 else "report"
        halves[part] += lines[i : i + SENTENCES_PER_ARTICLE]
    for part, kept in halves.items():
        (out / f"{part}.jsonl").write_text("".join(kept), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
