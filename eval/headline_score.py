"""Headline attributions of PolNeAR against the headline quotes we store (issue 20).

    KEEP=1 ../shared/tools/extraction-check/check.sh quotes      # prints "kept /tmp/…"
    .venv/bin/python eval/headline_score.py /tmp/extraction-check.XXXX/check.db [--part report]

Gold: the primary annotations whose content starts in the first line of the text (the
headline). Predictions: the stored quotes with ``field = 'title'``. Matched one to one by token
Jaccard >= 0.5 as ``score.py`` matches; the speaker is right when it shares a word (not a
function word) with the gold source as written. ``--part`` keeps the tune or report half of
``eval/polnear_split.py``. Nothing from the texts is written anywhere.
"""

import argparse
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from eval.polnear_split import part_of  # noqa: E402

GOLD = Path(__file__).resolve().parents[2] / "shared" / "polnear-train" / "polnear_train.jsonl"
_FUNCTION = {"the", "a", "an", "of", "and", "s", "in", "for", "to", "on", "at", "by", "with"}


def tokens(text: str) -> set[str]:
    return set(re.sub(r"[^\w\s]|_", " ", text.lower()).split())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--part", choices=["tune", "report"])
    args = parser.parse_args()
    gold: dict[str, list[tuple[set[str], str]]] = {}
    with open(os.environ.get("POLNEAR_GOLD") or GOLD, encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            if not doc.get("primary_annotation"):
                continue
            if args.part and part_of(doc["doc_id"]) != args.part:
                continue
            headline = len(doc["text"].partition("\n")[0])
            gold[doc["doc_id"]] = [
                (tokens(a["content"]["text"]), (a.get("source") or {}).get("text") or "")
                for a in doc["attributions"]
                if a["content"]["spans"][0][0] < headline
            ]
    predicted: dict[str, list[tuple[set[str], str]]] = {}
    with sqlite3.connect(args.db) as db:
        rows = db.execute(
            "SELECT a.source_id, q.text, coalesce(q.speaker_text, '') FROM quote q "
            "JOIN article a ON a.id = q.article_id WHERE q.field = 'title'"
        )
        for source_id, text, speaker in rows:
            if source_id in gold:
                predicted.setdefault(source_id, []).append((tokens(text), speaker))
    matched = right = 0
    for doc_id, golds in gold.items():
        preds = predicted.get(doc_id, [])
        pairs = sorted(
            (
                (-jaccard(g[0], p[0]), gi, pi)
                for gi, g in enumerate(golds)
                for pi, p in enumerate(preds)
                if jaccard(g[0], p[0]) >= 0.5
            ),
        )
        used_g: set[int] = set()
        used_p: set[int] = set()
        for _, gi, pi in pairs:
            if gi in used_g or pi in used_p:
                continue
            used_g.add(gi)
            used_p.add(pi)
            matched += 1
            said = {w.lower() for w in re.findall(r"\w+", preds[pi][1])} - _FUNCTION
            source = {w.lower() for w in re.findall(r"\w+", golds[gi][1])} - _FUNCTION
            right += bool(said & source)
    n_gold = sum(len(g) for g in gold.values())
    n_pred = sum(len(p) for p in predicted.values())
    p = matched / n_pred if n_pred else 0.0
    r = matched / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(
        f"headlines of {len(gold)} articles: {n_gold} gold, {n_pred} predicted, {matched} matched: "
        f"P {p:.3f} R {r:.3f} F1 {f1:.3f}; speaker as written on matched "
        f"{right / matched if matched else 0:.3f}"
    )


if __name__ == "__main__":
    main()
