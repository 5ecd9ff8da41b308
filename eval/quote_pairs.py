"""Labelled quote pairs for quotations (issue 19), built from ../shared/corpus/articles.jsonl,
and the pair precision and recall of the grouping rules on them (kept in docs/quotations.md).

    python eval/quote_pairs.py build   # (re)write eval/gold/quote_pairs.jsonl: ids, offsets, edits
    python eval/quote_pairs.py         # score app.corpus.quotetext's rules

Quoted passages are found with a pattern (text between double quotation marks), not the
extractor, so that the set scores the grouping alone. The labels hold article ids, character
offsets and edits, never text.
"""

import argparse
import itertools
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.corpus.quotetext import fold, groupable, same_quotation  # noqa: E402
from eval.story_pairs import CORPUS, Score, load_corpus  # noqa: E402

LABELS = ROOT / "eval" / "gold" / "quote_pairs.jsonl"
_passage_re = re.compile(r"[\u201c\"]([^\u201c\u201d\"]{10,600})[\u201d\"]")
# contractions an outlet may spell out (the edit "contract" applies the first that fits)
CONTRACTIONS = [
    ("do not", "don\u2019t"),
    ("does not", "doesn't"),
    ("is not", "isn't"),
    ("we are", "we're"),
    ("they are", "they're"),
    ("will not", "won't"),
    ("can not", "can't"),
    ("cannot", "can't"),
    ("we have", "we've"),
    ("i am", "I'm"),
    ("we will", "we'll"),
]
_AUX_re = re.compile(r"\b(is|was|will|are|can|would|should|has|have)\b")


def passages(bodies: dict[str, str]) -> list[tuple[str, int, int]]:
    """(article id, start, end) of every passage between double quotation marks."""
    return [
        (article, m.start(1), m.end(1))
        for article, body in bodies.items()
        for m in _passage_re.finditer(body)
    ]


def apply(text: str, ops: list[list[Any]]) -> str:
    """The variant of a passage that the edits make."""
    for op, *args in ops:
        words = text.split()
        if op == "restyle":  # another outlet's typography: marks, case, final punctuation
            text = "\u00ab" + text.replace("'", "\u2019").upper().rstrip(".,") + ",\u00bb"
        elif op == "trim":
            text = " ".join(words[args[0] : args[1]])
        elif op == "replace":
            text = " ".join(words[: args[0]] + [args[1]] + words[args[0] + 1 :])
        elif op == "negate":
            text = _AUX_re.sub(r"\1 not", text, count=1)
        elif op == "contract":
            long, short = CONTRACTIONS[args[0]]
            text = re.sub(rf"\b{long}\b", short, text, count=1, flags=re.I)
        else:
            raise ValueError(f"unknown edit {op!r}")
    return text


def build(bodies: dict[str, str]) -> list[dict[str, Any]]:
    """Natural pairs (the same words in two articles; different quotes sharing a phrase) and
    edited pairs (restyled, trimmed, contracted: the same quotation; a word changed, negated,
    trimmed below eight words: another)."""
    rng = random.Random(19)
    found = passages(bodies)
    text = {p: bodies[p[0]][p[1] : p[2]] for p in found}
    by_words: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for p in found:
        by_words[fold(text[p])].append(p)
    pairs: list[dict[str, Any]] = []

    def add(a: Any, b: Any, ops: list[list[Any]], label: int, kind: str) -> None:
        pairs.append({"a": list(a), "b": list(b), "ops": ops, "label": label, "kind": kind})

    for folded_words, where in sorted(by_words.items()):
        articles = {p[0] for p in where}
        if len(articles) > 1 and groupable("direct", folded_words):
            first = where[0]
            other = next(p for p in where if p[0] != first[0])
            add(first, other, [], 1, "same words, two articles")
    long = sorted(p for p in found if len(text[p].split()) >= 14)
    for p in rng.sample(long, 100):
        add(p, p, [["restyle"]], 1, "restyled")
    for p in rng.sample(long, 100):
        n = len(text[p].split())
        start = rng.randrange(0, n - 10)
        add(p, p, [["trim", start, rng.randrange(start + 8, n + 1)]], 1, "trimmed (8+ words)")
    fits = [
        (p, i)
        for p in long
        for i, (w, _) in enumerate(CONTRACTIONS)
        if re.search(rf"\b{w}\b", text[p], re.I)
    ]
    for p, i in rng.sample(fits, min(60, len(fits))):
        add(p, p, [["contract", i]], 1, "contracted")
    for p in rng.sample(long, 100):
        n = len(text[p].split())
        add(p, p, [["replace", rng.randrange(1, n - 1), "otherwise"]], 0, "one word changed")
    negatable = [p for p in long if _AUX_re.search(text[p])]
    for p in rng.sample(negatable, 60):
        add(p, p, [["negate"]], 0, "negated")
    for p in rng.sample(long, 60):
        start = rng.randrange(0, len(text[p].split()) - 8)
        add(p, p, [["trim", start, start + rng.randrange(4, 8)]], 0, "trimmed below 8 words")
    # different quotes that share a run of four words ("the prime minister said that")
    by_run: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for p in long:
        words = fold(text[p]).split()
        for i in range(len(words) - 3):
            by_run[" ".join(words[i : i + 4])].append(p)
    sharing = sorted(
        {
            (a, b)
            for ps in by_run.values()
            if len(ps) < 20
            for a, b in itertools.combinations(ps, 2)
            if a[0] != b[0]
            and fold(text[a]) != fold(text[b])
            and not same_quotation(fold(text[a]), fold(text[b]))
        }
    )
    for a, b in rng.sample(sharing, min(100, len(sharing))):
        add(a, b, [], 0, "different quotes sharing a phrase")
    return pairs


def score(pairs: list[dict[str, Any]], bodies: dict[str, str]) -> tuple[Score, dict[str, Score]]:
    """Pair precision and recall: a pair is predicted one quotation when both are grouped and
    the rules of ``app.corpus.quotetext`` say they are the same."""
    total, by_kind = Score(), defaultdict[str, Score](Score)
    for pair in pairs:
        (a_id, a_start, a_end), (b_id, b_start, b_end) = pair["a"], pair["b"]
        a = fold(bodies[a_id][a_start:a_end])
        b = fold(apply(bodies[b_id][b_start:b_end], pair["ops"]))
        predicted = groupable("direct", a) and groupable("direct", b) and same_quotation(a, b)
        field = {(1, 1): "tp", (0, 1): "fp", (1, 0): "fn", (0, 0): "tn"}[
            (pair["label"], int(predicted))
        ]
        for counts in (total, by_kind[pair["kind"]]):
            setattr(counts, field, getattr(counts, field) + 1)
    return total, dict(by_kind)


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["build", "score"], default="score")
    args = parser.parse_args()
    bodies = load_corpus(CORPUS)
    if args.command == "build":
        pairs = build(bodies)
        LABELS.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
        print(f"{len(pairs)} pairs written to {LABELS.relative_to(ROOT)}")
        return
    pairs = load_labels()
    total, by_kind = score(pairs, bodies)
    positives = sum(p["label"] for p in pairs)
    print(f"{len(pairs)} pairs ({positives} one quotation, {len(pairs) - positives} not)\n")
    print("| kind | pairs | TP | FP | FN | TN |\n| --- | --- | --- | --- | --- | --- |")
    for kind, s in sorted(by_kind.items()):
        print(f"| {kind} | {s.tp + s.fp + s.fn + s.tn} | {s.tp} | {s.fp} | {s.fn} | {s.tn} |")
    print(f"\n**precision {total.precision:.3f}, recall {total.recall:.3f}**")


if __name__ == "__main__":
    main()
