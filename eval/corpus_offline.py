"""The shared corpus parsed once, our quote rules re-run on the parses, and the judged samples of
``eval/judged/`` carried over to them: for iterating on rules between judged draws (a tuned
figure only; ``quote_sample.py draw`` on a fresh ingest stays the figure to report).

    python eval/corpus_offline.py parse /tmp/corpus.spacy
    python eval/corpus_offline.py carry /tmp/corpus.spacy eval/judged/tune-seed41.jsonl ... \
        [--show dropped|changed|wrong]

``parse`` cleans each body as ingestion does and stores the parses in a DocBin outside the
repository (the texts are not ours). ``carry`` runs ``extract_entities`` and ``extract_quotes``
over them and, for every judged quote of the five default kinds, says whether the rules still
make it (same offsets and kind), with the same speaker or not, or no longer make it; and prints
the judged figures over the quotes still made the same.
"""

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spacy.tokens import DocBin  # noqa: E402

from app.config import Settings  # noqa: E402
from app.ingest.annotate import text_parts  # noqa: E402
from app.ingest.clean import clean_body, fix_mojibake  # noqa: E402
from app.nlp.entities import extract_entities  # noqa: E402
from app.nlp.pipeline import load_pipeline, recase_capital_lines  # noqa: E402
from app.nlp.quotes import QuoteSpan, extract_quotes  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
SPEECH_KINDS = ("direct", "block", "partial", "mixed", "indirect")


def _bodies() -> dict[str, str]:
    with CORPUS.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return {r["id"]: clean_body(fix_mojibake(r["body"])) for r in records}


def parse(args: argparse.Namespace) -> None:
    nlp = load_pipeline(Settings().SPACY_MODEL)
    out = DocBin(store_user_data=True)
    for number, (source_id, body) in enumerate(_bodies().items()):
        for offset, part in text_parts(body):
            parsed = nlp(part)
            recase_capital_lines(nlp, parsed)
            parsed.user_data["source_id"] = source_id
            parsed.user_data["offset"] = offset
            out.add(parsed)
        if number % 200 == 199:
            print(f"{number + 1} articles parsed", file=sys.stderr)
    out.to_disk(args.parses)


def predictions(parses: Path, wanted: set[str] | None = None) -> dict[str, list[QuoteSpan]]:
    """Quotes per article (offsets into the body), for the articles of ``wanted`` or all."""
    nlp = load_pipeline(Settings().SPACY_MODEL)
    out: dict[str, list[QuoteSpan]] = {}
    for doc in DocBin().from_disk(parses).get_docs(nlp.vocab):
        source_id = doc.user_data["source_id"]
        if wanted is not None and source_id not in wanted:
            continue
        offset = doc.user_data["offset"]
        quotes = extract_quotes(doc, extract_entities(doc))
        out.setdefault(source_id, []).extend(
            replace(q, start=q.start + offset, end=q.end + offset) if offset else q for q in quotes
        )
    return out


def _name(quote: QuoteSpan) -> str | None:
    """The speaker the API lists as ``speaker``: the resolved mention's name (the words as
    written have their own offsets)."""
    return quote.speaker.name if quote.speaker else None


def _verdict(judged: dict[str, Any]) -> str:
    if judged.get("real") is False:
        return "not-real"
    bad = []
    if judged.get("content") is False:
        bad.append("content")
    if judged.get("speaker_right") == "no":
        bad.append("speaker")
    return "real" + ("(" + ",".join(bad) + ")" if bad else "")


def carry(args: argparse.Namespace) -> None:
    rows = []
    for path in args.judged:
        with open(path, encoding="utf-8") as lines:
            rows += [json.loads(line) for line in lines if line.strip()]
    rows = [r for r in rows if r["kind"] in SPEECH_KINDS and r.get("real") is not None]
    predicted = predictions(args.parses, {r["source_id"] for r in rows})
    bodies = _bodies() if args.show else {}
    tally: Counter[tuple[str, str]] = Counter()
    same: list[dict[str, Any]] = []
    for r in rows:
        quotes = predicted.get(r["source_id"], [])
        match = next(
            (q for q in quotes if (q.start, q.end) == (r["start"], r["end"])),
            None,
        )
        if match is None or match.kind not in SPEECH_KINDS:
            state = "dropped"
        elif (match.speaker_start, _name(match)) != (r.get("speaker_start"), r.get("speaker")):
            state = "changed"
        else:
            state = "same"
            same.append(r)
        if match is not None and state == "changed":
            r["now"] = _name(match)
        tally[state, _verdict(r)] += 1
        if args.show and (
            args.show == state
            or (args.show == "wrong" and state == "same" and _verdict(r) != "real")
        ):
            body = bodies[r["source_id"]]
            print(
                f"--- {r['source_id']} {r['start']} {r['kind']} {r.get('cue')} "
                f"{r.get('speaker')!r} -> {r.get('now')!r} [{_verdict(r)}] {r.get('pattern')}\n"
                f"{body[max(0, r['start'] - 250) : r['start']]}[[{body[r['start'] : r['end']]}]]"
                f"{body[r['end'] : r['end'] + 120]}\n"
            )
    for (state, verdict), count in sorted(tally.items()):
        print(f"{state:8} {verdict:24} {count}")
    real = [r for r in same if r.get("real")]
    given = [r for r in real if r.get("speaker_right") in ("yes", "no")]
    if same and real and given:
        print(
            f"kept the same: {len(same)}; real {len(real) / len(same):.3f}, content "
            f"{sum(r.get('content') is True for r in real) / len(real):.3f}, speaker "
            f"{sum(r['speaker_right'] == 'yes' for r in given) / len(given):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    parsing = commands.add_parser("parse")
    parsing.add_argument("parses", type=Path)
    parsing.set_defaults(run=parse)
    carrying = commands.add_parser("carry")
    carrying.add_argument("parses", type=Path)
    carrying.add_argument("judged", nargs="+", type=Path)
    carrying.add_argument("--show", choices=("dropped", "changed", "wrong"))
    carrying.set_defaults(run=carry)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
