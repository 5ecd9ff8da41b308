"""Score quote and entity extraction against the gold set in eval/gold/, beside two baselines:
textacy's direct_quotations for quotes and spaCy's raw entities for entities.

    python eval/evaluate.py [--worst 15]

Prints Markdown (kept in docs/extraction.md). Only ids, offsets and names are printed, never
article text.
"""

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import json  # noqa: E402

from app.config import Settings  # noqa: E402
from app.nlp.entities import extract_entities  # noqa: E402
from app.nlp.pipeline import load_pipeline, recase_capital_lines  # noqa: E402
from app.nlp.quotes import QuoteSpan, extract_quotes, quote_spans  # noqa: E402
from eval.gold_tool import body_hash, load_bodies  # noqa: E402

GOLD = ROOT / "eval" / "gold"
ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC")
# quotation-mark kinds are scored together as "direct" too: a block or partial quote labelled
# direct is still the right words from the right person
MARKED = ("direct", "block", "partial")
_word_re = re.compile(r"\w+")


@dataclass(frozen=True)
class Quote:
    article: str
    start: int
    end: int
    kind: str
    speaker_start: int | None
    speaker_end: int | None
    speaker: str | None


@dataclass(frozen=True)
class Mention:
    article: str
    start: int
    end: int
    type: str


def load_gold() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(GOLD.glob("*.jsonl")):
        text = path.read_text(encoding="utf-8")
        rows += [json.loads(line) for line in text.splitlines() if line.strip()]
    return rows


def tokens(body: str, start: int, end: int) -> set[int]:
    """Positions of the word tokens inside [start, end)."""
    return {m.start() for m in _word_re.finditer(body, start, end)}


def _trim(body: str, start: int, end: int) -> tuple[int, int]:
    while end > start and (body[end - 1].isspace() or body[end - 1] in ",.;:"):
        end -= 1
    while start < end and body[start].isspace():
        start += 1
    return start, end


def prf(tp: float, predicted: float, gold: float) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_quotes(
    gold: list[Quote], predicted: list[Quote], bodies: dict[str, str], kinds: Iterable[str]
) -> dict[str, float]:
    kinds = set(kinds)
    gold = [q for q in gold if q.kind in kinds]
    predicted = [q for q in predicted if q.kind in kinds]
    exact_gold = {(q.article, *_trim(bodies[q.article], q.start, q.end)) for q in gold}
    exact_pred = {(q.article, *_trim(bodies[q.article], q.start, q.end)) for q in predicted}
    gold_tokens = {(q.article, t) for q in gold for t in tokens(bodies[q.article], q.start, q.end)}
    pred_tokens = {
        (q.article, t) for q in predicted for t in tokens(bodies[q.article], q.start, q.end)
    }
    ep, er, ef = prf(len(exact_gold & exact_pred), len(exact_pred), len(exact_gold))
    tp, tr, tf = prf(len(gold_tokens & pred_tokens), len(pred_tokens), len(gold_tokens))
    matched = [(g, best_match(g, predicted, bodies)) for g in gold]
    found = [(g, p) for g, p in matched if p is not None]
    as_written = sum(_same_speaker_span(g, p) for g, p in found)
    resolved = sum(_same_name(g.speaker, p.speaker) for g, p in found)
    return {
        "gold": len(gold),
        "predicted": len(predicted),
        "exact_p": ep,
        "exact_r": er,
        "exact_f": ef,
        "token_p": tp,
        "token_r": tr,
        "token_f": tf,
        "found": len(found),
        "speaker_written": as_written / len(found) if found else 0.0,
        "speaker_resolved": resolved / len(found) if found else 0.0,
    }


def best_match(gold: Quote, predicted: list[Quote], bodies: dict[str, str]) -> Quote | None:
    """The prediction sharing most words with ``gold``, if it covers at least half of them."""
    wanted = tokens(bodies[gold.article], gold.start, gold.end)
    best, overlap = None, 0
    for p in predicted:
        if p.article != gold.article or p.end <= gold.start or gold.end <= p.start:
            continue
        shared = len(wanted & tokens(bodies[p.article], p.start, p.end))
        if shared > overlap:
            best, overlap = p, shared
    return best if wanted and overlap * 2 >= len(wanted) else None


def _same_speaker_span(gold: Quote, pred: Quote) -> bool:
    if gold.speaker_start is None or pred.speaker_start is None:
        return gold.speaker_start is None and pred.speaker_start is None
    assert gold.speaker_end is not None and pred.speaker_end is not None
    return pred.speaker_start < gold.speaker_end and gold.speaker_start < pred.speaker_end


def _same_name(gold: str | None, pred: str | None) -> bool:
    return (gold or "").casefold() == (pred or "").casefold()


def score_entities(gold: list[Mention], predicted: list[Mention]) -> dict[str, tuple[float, ...]]:
    results: dict[str, tuple[float, ...]] = {}
    for entity_type in ENTITY_TYPES:
        g = {m for m in gold if m.type == entity_type}
        p = {m for m in predicted if m.type == entity_type}
        results[entity_type] = (*prf(len(g & p), len(p), len(g)), len(g), len(p))
    return results


def _as_gold_kinds(quote: QuoteSpan, text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) in the gold's terms. The gold has no `mixed` kind: its annotators
    marked the reported clause as indirect and each quoted fragment in it as partial."""
    if quote.kind != "mixed":
        return [(quote.start, quote.end, quote.kind)]
    fragments = quote_spans(text[quote.start : quote.end])
    return [(quote.start, quote.end, "indirect")] + [
        (quote.start + start, quote.start + end, "partial") for start, end, _ in fragments
    ]


def run(worst: int) -> None:
    settings = Settings()
    gold_rows = load_gold()
    bodies_all = load_bodies()
    stale = [row["id"] for row in gold_rows if body_hash(bodies_all[row["id"]]) != row["body_sha"]]
    if stale:
        raise SystemExit(f"gold offsets are stale (cleaning changed) for: {', '.join(stale)}")
    bodies = {row["id"]: bodies_all[row["id"]] for row in gold_rows}
    gold_quotes = [
        Quote(
            row["id"],
            q["start"],
            q["end"],
            q["kind"],
            q["speaker_start"],
            q["speaker_end"],
            q["speaker"],
        )
        for row in gold_rows
        for q in row["quotes"]
    ]
    gold_mentions = [
        Mention(row["id"], e["start"], e["end"], e["type"])
        for row in gold_rows
        for e in row["entities"]
    ]

    nlp = load_pipeline(settings.SPACY_MODEL)
    ours_q: list[Quote] = []
    ours_e: list[Mention] = []
    raw_e: list[Mention] = []
    started = time.perf_counter()
    docs = list(nlp.pipe(bodies.values(), batch_size=32))
    for doc in docs:
        recase_capital_lines(nlp, doc)
    nlp_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for article, doc in zip(bodies, docs, strict=True):
        mentions = extract_entities(doc)
        ours_e += [
            Mention(article, m.start, m.end, m.label) for m in mentions if m.label in ENTITY_TYPES
        ]
        for q in extract_quotes(doc, mentions):
            ours_q += [
                Quote(
                    article,
                    start,
                    end,
                    kind,
                    q.speaker_start,
                    q.speaker_end,
                    q.speaker.name if q.speaker else None,
                )
                for start, end, kind in _as_gold_kinds(q, doc.text)
            ]
        raw_e += [
            Mention(article, e.start_char, e.end_char, e.label_)
            for e in doc.ents
            if e.label_ in ENTITY_TYPES
        ]
    ours_seconds = time.perf_counter() - started
    textacy_q = _textacy_quotes(bodies, settings.SPACY_MODEL)

    print(
        f"Gold set: {len(gold_rows)} articles, {len(gold_quotes)} quotes "
        f"({_counts(q.kind for q in gold_quotes)}), {len(gold_mentions)} entity mentions "
        f"({_counts(m.type for m in gold_mentions)})."
    )
    print(f"spaCy pipeline {nlp_seconds:.1f} s; our extractors {ours_seconds:.1f} s.\n")
    print("## Quotes\n")
    print(
        "| system | kind | gold | pred | exact P | exact R | exact F1 | token P | token R "
        "| token F1 | found | speaker as written | speaker resolved |"
    )
    print("|" + " --- |" * 13)
    groups = [
        ("direct (all marked)", MARKED),
        *[(k, (k,)) for k in (*MARKED, "indirect")],
        ("overall", (*MARKED, "indirect")),
    ]
    for name, kinds in groups:
        _quote_row("ours", name, score_quotes(gold_quotes, ours_q, bodies, kinds))
    if textacy_q is not None:
        _quote_row(
            "textacy 0.13",
            "direct (all marked)",
            score_quotes(gold_quotes, textacy_q, bodies, MARKED),
        )
    print("\n## Entities (mentions, exact span and type)\n")
    print("| system | type | gold | pred | P | R | F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for system, predicted in (("ours", ours_e), ("raw spaCy", raw_e)):
        for entity_type, scores in score_entities(gold_mentions, predicted).items():
            prec, rec, f1, n_gold, n_pred = scores
            print(
                f"| {system} | {entity_type} | {n_gold:.0f} | {n_pred:.0f} | {prec:.3f} | "
                f"{rec:.3f} | {f1:.3f} |"
            )
    print(f"\n## Worst misses (first {worst} gold quotes with no matching prediction)\n")
    misses = [g for g in gold_quotes if best_match(g, ours_q, bodies) is None]
    print(f"{len(misses)} of {len(gold_quotes)} gold quotes missed.\n")
    for g in sorted(misses, key=lambda q: q.start - q.end)[:worst]:
        print(f"- `{g.article}` {g.start}–{g.end} {g.kind}, speaker {g.speaker or '—'}")
    wrong = [
        (g, p)
        for g in gold_quotes
        if (p := best_match(g, ours_q, bodies)) is not None and not _same_name(g.speaker, p.speaker)
    ]
    print(f"\n## Wrong speakers ({len(wrong)}, first {worst})\n")
    for g, p in wrong[:worst]:
        print(
            f"- `{g.article}` {g.start}–{g.end} {g.kind}: gold {g.speaker or '—'}, "
            f"ours {p.speaker or '—'}"
        )


def _counts(values: Iterable[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(Counter(values).items()))


def _quote_row(system: str, kind: str, s: dict[str, float]) -> None:
    print(
        f"| {system} | {kind} | {s['gold']} | {s['predicted']} | {s['exact_p']:.3f} | "
        f"{s['exact_r']:.3f} | {s['exact_f']:.3f} | {s['token_p']:.3f} | {s['token_r']:.3f} | "
        f"{s['token_f']:.3f} | {s['found']} | {s['speaker_written']:.3f} | "
        f"{s['speaker_resolved']:.3f} |"
    )


def _textacy_quotes(bodies: dict[str, str], model: str) -> list[Quote] | None:
    """textacy's direct_quotations on the full pipeline (it reads lemmas). It refuses a text with
    an odd number of quotation marks; such texts are retried paragraph by paragraph."""
    try:
        import spacy
        from textacy.extract.triples import direct_quotations
    except ImportError:
        print("(textacy is not installed: `make eval` installs requirements-eval.lock)\n")
        return None
    nlp = spacy.load(model)
    quotes = []
    for article, body in bodies.items():
        try:
            triples = [(0, t) for t in direct_quotations(nlp(body))]
        except ValueError:
            triples = []
            for match in re.finditer(r"[^\n]+", body):
                try:
                    triples += [(match.start(), t) for t in direct_quotations(nlp(match.group()))]
                except ValueError:
                    continue
        for offset, triple in triples:
            text = triple.content.doc.text
            start, end = triple.content.start_char, triple.content.end_char
            if text[start] in "\"“'‘":
                start += 1
            if end > start and text[end - 1] in "\"”'’":
                end -= 1
            speaker = triple.speaker
            quotes.append(
                Quote(
                    article,
                    offset + start,
                    offset + end,
                    "direct",
                    offset + speaker[0].idx if speaker else None,
                    offset + speaker[-1].idx + len(speaker[-1]) if speaker else None,
                    " ".join(t.text for t in speaker) if speaker else None,
                )
            )
    return quotes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worst", type=int, default=15)
    run(parser.parse_args().worst)


if __name__ == "__main__":
    main()
