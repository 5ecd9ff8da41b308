"""PolNeAR scored offline: the texts parsed once, our extractors re-run on the parses, scored by
``../shared/tools/extraction-check/score.py`` (the same figures as ``check.sh quotes``, without
ingesting and serving). For iterating on rules; ``check.sh`` stays the figure to report.

    python eval/polnear_split.py ../shared/polnear-train/polnear_train.jsonl /tmp/polnear
    python eval/polnear_offline.py parse /tmp/polnear/tune.jsonl /tmp/polnear/tune.spacy
    python eval/polnear_offline.py score /tmp/polnear/tune.jsonl /tmp/polnear/tune.spacy \
        [--rules] [--errors /tmp/polnear/errors.txt]

``parse`` cleans each primary document as ingestion does (its first line is the title, as
``check.sh`` exports it), cuts it into the parts ingestion annotates, and stores the parses in a
DocBin outside the repository (the texts are not ours). ``score`` runs ``extract_entities`` and
``extract_quotes`` over them, joins the parts as ingestion does, and prints the figures;
``--rules`` adds, per attribution rule, how often its speaker is right on matched direct quotes,
and ``--errors`` writes every matched direct quote whose speaker is wrong or missing, with the
gold source and its context (to a file outside the repository, for reading errors on the tune
part only).
"""

import argparse
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spacy.tokens import DocBin  # noqa: E402

from app.config import Settings  # noqa: E402
from app.ingest.annotate import PART_CHARS, _merged, text_parts  # noqa: E402
from app.ingest.clean import clean_body, fix_mojibake  # noqa: E402
from app.nlp import Annotation  # noqa: E402
from app.nlp.entities import extract_entities  # noqa: E402
from app.nlp.pipeline import load_pipeline, recase_capital_lines  # noqa: E402
from app.nlp.quotes import QuoteSpan, extract_quotes  # noqa: E402

SCORE = ROOT.parent / "shared" / "tools" / "extraction-check" / "score.py"


def _score_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score", SCORE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _docs(gold: Path) -> list[dict[str, Any]]:
    with gold.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r.get("primary_annotation")]


def _body(doc: dict[str, Any]) -> str:
    """The stored body of a PolNeAR document as ``check.sh`` exports and ingestion cleans it."""
    return clean_body(fix_mojibake(doc["text"].partition("\n")[2].lstrip("\n")))


def parse(args: argparse.Namespace) -> None:
    nlp = load_pipeline(Settings().SPACY_MODEL)
    out = DocBin(store_user_data=True)
    for number, doc in enumerate(_docs(args.gold)):
        for offset, part in text_parts(_body(doc), PART_CHARS):
            parsed = nlp(part)
            recase_capital_lines(nlp, parsed)
            parsed.user_data["doc_id"] = doc["doc_id"]
            parsed.user_data["offset"] = offset
            out.add(parsed)
        if number % 100 == 99:
            print(f"{number + 1} documents parsed", file=sys.stderr)
    out.to_disk(args.parses)


def _predictions(parses: Path) -> dict[str, list[QuoteSpan]]:
    nlp = load_pipeline(Settings().SPACY_MODEL)
    parts: dict[str, list[tuple[int, Annotation]]] = defaultdict(list)
    for doc in DocBin().from_disk(parses).get_docs(nlp.vocab):
        entities = extract_entities(doc)
        quotes = tuple(extract_quotes(doc, entities))
        annotation = Annotation(entities=tuple(entities), quotes=quotes)
        parts[doc.user_data["doc_id"]].append((doc.user_data["offset"], annotation))
    out = {}
    for doc_id, annotated in parts.items():
        owners = [(0, offset) for offset, _ in annotated]
        merged = _merged(1, owners, [a for _, a in annotated])[0]
        assert isinstance(merged, Annotation)
        out[doc_id] = list(merged.quotes)
    return out


def _as_prediction(quote: QuoteSpan) -> dict[str, Any]:
    return {
        "text": quote.text,
        "kind": quote.kind,
        "cue": quote.cue,
        "speaker": quote.speaker.name if quote.speaker else None,
        "speaker_text": quote.speaker_text,
    }


def score(args: argparse.Namespace) -> None:
    sc = _score_module()
    docs = _docs(args.gold)
    predicted = _predictions(args.parses)
    preds = {d: {"quotes": [_as_prediction(q) for q in qs]} for d, qs in predicted.items()}
    res = sc.score_quotes(preds, docs)
    s = res["speaker"]
    print(
        f"lenient_f1 {res['direct_lenient']['f1']:.3f}  as_written {s['as_written']:.3f}  "
        f"wrong {s['wrong']:.3f}  abstain {s['abstain']:.3f}  named {s['named']:.3f}  "
        f"all_f1 {res['all']['f1']:.3f} (P {res['all']['p']:.3f} / R {res['all']['r']:.3f})  "
        f"[{s['written_n']} matched direct quotes with a source]"
    )
    if args.rules or args.errors:
        _by_rule(sc, docs, predicted, args)


def _by_rule(
    sc: ModuleType, docs: list[dict[str, Any]], predicted: dict[str, list[QuoteSpan]], args: Any
) -> None:
    """Per rule and confidence: matched direct quotes, right as written, wrong, none; and the
    wrong ones written out with their context."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    errors = []
    for g in docs:
        quotes = predicted.get(g["doc_id"], [])
        direct = [a for a in g["attributions"] if a["quote_type"] == "direct"]
        idx = [i for i, q in enumerate(quotes) if q.kind in ("direct", "block", "partial")]
        ptok = [sc.norm_tokens(quotes[i].text) for i in idx]
        matches, _ = sc.match([sc.gold_slots(a, g["text"]) for a in direct], ptok, 0.5)
        seen = set()
        for gi, pj in matches:
            source = direct[gi].get("source")
            if gi in seen or not source:
                continue
            seen.add(gi)
            q = quotes[idx[pj]]
            key = f"{q.rule or '-'} {q.confidence:.2f}"
            stext = q.speaker_text or ""
            ok = bool(sc.speaker_overlap(stext, source["text"]))
            verdict = "right" if ok else ("none" if not stext.strip() else "wrong")
            tally[key][verdict] += 1
            names = sc.name_tokens(source["text"])
            if names:
                resolved = q.speaker.name if q.speaker else ""
                tally[key]["named_n"] += 1
                tally[key]["named_ok"] += bool(names & sc.name_tokens(resolved))
            if verdict != "right" or (names and not names & sc.name_tokens(resolved)):
                errors.append((g, q, source, verdict, key))
    if args.rules:
        print("| rule confidence | matched | right as written | wrong | none | named right |")
        print("| --- | --- | --- | --- | --- | --- |")
        for key, c in sorted(tally.items(), key=lambda kv: -sum(kv[1].values())):
            n = c["right"] + c["wrong"] + c["none"]
            named = f"{c['named_ok'] / c['named_n']:.3f}" if c["named_n"] else "–"
            print(f"| {key} | {n} | {c['right'] / n:.3f} | {c['wrong']} | {c['none']} | {named} |")
    if args.errors:
        with open(args.errors, "w", encoding="utf-8") as out:
            for g, q, source, verdict, key in errors:
                body = _body(g)
                resolved = q.speaker.name if q.speaker else None
                out.write(
                    f"=== {g['doc_id']} {verdict} {key} cue={q.cue!r} ours={q.speaker_text!r} "
                    f"-> {resolved!r} gold={source['text']!r}\n"
                    f"{body[max(0, q.start - 500) : q.start]}[[{body[q.start : q.end]}]]"
                    f"{body[q.end : q.end + 200]}\n\n"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    parsing = commands.add_parser("parse")
    parsing.add_argument("gold", type=Path)
    parsing.add_argument("parses", type=Path)
    parsing.set_defaults(run=parse)
    scoring = commands.add_parser("score")
    scoring.add_argument("gold", type=Path)
    scoring.add_argument("parses", type=Path)
    scoring.add_argument("--rules", action="store_true")
    scoring.add_argument("--errors", type=Path)
    scoring.set_defaults(run=score)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
