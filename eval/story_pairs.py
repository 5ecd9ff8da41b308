"""Labelled pairs for stories (issue 19), built from ../shared/corpus/articles.jsonl, and the
pair precision and recall of story assignment on them (kept in docs/stories.md).

    python eval/story_pairs.py build    # (re)write eval/gold/story_pairs.jsonl: ids and edits only
    python eval/story_pairs.py [--grid] # score app.corpus's rule (--grid: other settings too)

The labels file holds article ids and the edits that make each variant (from the boilerplate and
edit tables below), never text: a variant is rebuilt from the corpus when scored.
"""

import argparse
import itertools
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.corpus import shingles as rule  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
LABELS = ROOT / "eval" / "gold" / "story_pairs.jsonl"

# what syndication adds around a story (written for this set)
DATELINES = [
    "LONDON (Reuters) - ",
    "WASHINGTON, March 3 (AP) \u2014 ",
    "PARIS (AFP) - ",
    "BRUSSELS \u2014 ",
    "NEW YORK, Jan. 5 (Reuters) - ",
]
HEADS = {"byline": "By Chris Example"}
TAILS = {
    "copyright": "Copyright 2005 Example Wire. All rights reserved.",
    "read-more": "Read more: full coverage of this story and others like it on our website",
    "credits": "(Reporting by Ann Lee; additional reporting by Tom Hall; Editing by Jo Ward)",
    "follow": "Follow us on social media for the latest updates from the newsroom",
}
# copy-editing: every n-th word replaced by this one
EDIT_WORD = "reportedly"

# pairs found in the corpus by a sensitive LSH scan (64 bands of 2 rows) with a Jaccard
# similarity from 0.08 to 0.5, read by hand: these re-publish the same article (the same lead,
# edited, updated or extended); every other such pair is a different article on the same event
SAME_ARTICLE_BELOW_HALF = {
    ("bbc-politics-111", "bbc-politics-293"),  # extended to 2.5 times its length
    ("bbc-politics-175", "bbc-politics-349"),  # edited throughout
    ("bbc-tech-141", "bbc-tech-173"),  # updated ("is poised to push" -> "has pushed")
}


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


def apply(body: str, ops: list[list[Any]]) -> str:
    """The variant of ``body`` that the edits make."""
    parts = paragraphs(body)
    head: list[str] = []
    tail: list[str] = []
    for op, *args in ops:
        if op == "drop":
            del parts[args[0]]
        elif op == "edit":
            every = args[0]
            parts = [
                " ".join(
                    EDIT_WORD if (i + 1) % every == 0 else w for i, w in enumerate(p.split(" "))
                )
                for p in parts
            ]
        elif op == "dateline":
            parts[0] = DATELINES[args[0]] + parts[0]
        elif op == "head":
            head.append(HEADS[args[0]])
        elif op == "tail":
            tail.append(TAILS[args[0]])
        else:
            raise ValueError(f"unknown edit {op!r}")
    return "\n\n".join(head + parts + tail)


def load_corpus(path: Path = CORPUS) -> dict[str, str]:
    with path.open(encoding="utf-8") as lines:
        return {(a := json.loads(line))["id"]: a["body"] for line in lines}


def _scan(bodies: dict[str, str]) -> list[tuple[str, str, float]]:
    """Candidate pairs of a sensitive LSH scan with their Jaccard similarity."""
    sets = {i: rule.shingles(b) for i, b in bodies.items()}
    buckets: dict[int, list[str]] = defaultdict(list)
    for i, s in sets.items():
        for key in rule.band_keys(s, 64, 2):
            buckets[key].append(i)
    pairs = {
        tuple(sorted(p))
        for ids in buckets.values()
        if len(ids) < 50
        for p in itertools.combinations(ids, 2)
    }
    return [(a, b, rule.jaccard(sets[a], sets[b])) for a, b in sorted(pairs)]


def build(bodies: dict[str, str]) -> list[dict[str, Any]]:
    """The labelled pairs: synthetic re-publications, shared-boilerplate negatives, and the
    natural pairs of the corpus (hand-labelled below 0.5)."""
    rng = random.Random(19)
    ids = sorted(i for i, b in bodies.items() if len(paragraphs(b)) >= 4)
    pairs: list[dict[str, Any]] = []
    recipes: list[Callable[[int], list[list[Any]]]] = [
        lambda n: [["dateline", rng.randrange(len(DATELINES))], ["tail", "copyright"]],
        lambda n: [["drop", rng.randrange(1, n)], ["head", "byline"], ["tail", "read-more"]],
        lambda n: [["edit", 25], ["dateline", rng.randrange(len(DATELINES))], ["tail", "credits"]],
        lambda n: [["drop", rng.randrange(1, n)], ["edit", 40], ["tail", "follow"]],
    ]
    kinds = ["wire copy", "dropped paragraph", "copy-edited", "dropped and edited"]
    for n, article in enumerate(rng.sample(ids, 320)):
        recipe = n % len(recipes)
        ops = recipes[recipe](len(paragraphs(bodies[article])))
        pairs.append({"a": article, "b": article, "ops": ops, "label": 1, "kind": kinds[recipe]})
    # different articles dressed in the same boilerplate must stay apart
    short = sorted(i for i in ids if len(bodies[i].split()) < 350)
    for a, b in zip(rng.sample(short, 60), rng.sample(short, 60), strict=True):
        if a != b:
            dressed: list[list[Any]] = [["dateline", 0], ["head", "byline"]]
            dressed += [["tail", t] for t in TAILS]
            pairs.append(
                {
                    "a": a,
                    "b": b,
                    "ops": dressed,
                    "ops_a": dressed,
                    "label": 0,
                    "kind": "shared boilerplate",
                }
            )
    for a, b, similarity in _scan(bodies):
        if similarity >= 0.5:
            pairs.append({"a": a, "b": b, "ops": [], "label": 1, "kind": "natural re-publication"})
        elif similarity >= 0.08:
            same = (a, b) in SAME_ARTICLE_BELOW_HALF
            kind = "natural re-publication" if same else "same event, different article"
            pairs.append({"a": a, "b": b, "ops": [], "label": int(same), "kind": kind})
    return pairs


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(
    pairs: list[dict[str, Any]],
    bodies: dict[str, str],
    *,
    size: int = rule.SHINGLE_WORDS,
    threshold: float = rule.THRESHOLD,
    bands: int = rule.BANDS,
    rows: int = rule.ROWS,
) -> tuple[Score, dict[str, Score]]:
    """Pair precision and recall (overall and by kind): a pair is predicted the same story when
    the two share a band key and their signatures (or, near the threshold, their shingle sets'
    real Jaccard similarity) say it reaches the threshold."""
    total, by_kind = Score(), defaultdict[str, Score](Score)
    for pair in pairs:
        a = rule.shingles(apply(bodies[pair["a"]], pair.get("ops_a", [])), size)
        b = rule.shingles(apply(bodies[pair["b"]], pair["ops"]), size)
        candidate = bool(set(rule.band_keys(a, bands, rows)) & set(rule.band_keys(b, bands, rows)))
        verdict = (
            rule.decided(rule.signature(a), rule.signature(b))
            if threshold == rule.THRESHOLD
            else None
        )
        # as join_story decides: the signatures, or near the threshold the real similarity
        predicted = candidate and (rule.jaccard(a, b) >= threshold if verdict is None else verdict)
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
    parser.add_argument("--grid", action="store_true", help="score other settings too")
    args = parser.parse_args()
    bodies = load_corpus()
    if args.command == "build":
        pairs = build(bodies)
        LABELS.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
        print(f"{len(pairs)} pairs written to {LABELS.relative_to(ROOT)}")
        return
    pairs = load_labels()
    total, by_kind = score(pairs, bodies)
    positives = sum(p["label"] for p in pairs)
    print(f"{len(pairs)} pairs ({positives} same story, {len(pairs) - positives} not)\n")
    print("| kind | pairs | TP | FP | FN | TN |\n| --- | --- | --- | --- | --- | --- |")
    for kind, s in sorted(by_kind.items()):
        print(f"| {kind} | {s.tp + s.fp + s.fn + s.tn} | {s.tp} | {s.fp} | {s.fn} | {s.tn} |")
    print(
        f"\n**precision {total.precision:.3f}, recall {total.recall:.3f}** "
        f"(shingles of {rule.SHINGLE_WORDS} words, Jaccard >= {rule.THRESHOLD}, "
        f"{rule.BANDS} bands of {rule.ROWS} rows)"
    )
    if args.grid:
        print("\n| words | Jaccard >= | bands x rows | precision | recall |")
        print("| --- | --- | --- | --- | --- |")
        for size, threshold, (bands, rows) in itertools.product(
            (3, 5, 7), (0.3, 0.4, 0.5, 0.6, 0.7), ((32, 4), (42, 3), (64, 2))
        ):
            s, _ = score(pairs, bodies, size=size, threshold=threshold, bands=bands, rows=rows)
            print(
                f"| {size} | {threshold} | {bands} x {rows} | {s.precision:.3f} | {s.recall:.3f} |"
            )


if __name__ == "__main__":
    main()
