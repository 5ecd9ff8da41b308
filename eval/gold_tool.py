"""Build the gold set: show an article's cleaned body, and turn a text-based annotation into
offsets. The gold files keep ids, offsets and names only, never article text.

    python eval/gold_tool.py show bbc-tech-003
    python eval/gold_tool.py add /tmp/annotations/bbc-tech-003.json eval/gold/batch-1.jsonl

An annotation file (kept outside the repository) looks like:

    {"id": "bbc-tech-003",
     "quotes": [{"text": "exact quoted words", "kind": "direct", "cue": "said",
                 "speaker_text": "he", "speaker": "Jane Doe", "occurrence": 1}],
     "entities": [{"text": "Jane Doe", "type": "PERSON", "name": "Jane Doe"},
                  {"text": "US", "type": "GPE", "name": "United States", "skip": [2]}]}

A quote's ``text`` is found in the body (``occurrence`` picks the n-th match, default 1); its
``speaker_text`` is the occurrence nearest to the quote. Every whole-word occurrence of an
entity ``text`` becomes a mention, except the 1-based occurrences listed in ``skip``.
"""

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ingest.clean import clean_body  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"


def load_bodies() -> dict[str, str]:
    bodies = {}
    with CORPUS.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            bodies[record["id"]] = clean_body(record["body"])
    return bodies


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def occurrences(body: str, text: str, whole_word: bool) -> list[int]:
    pattern = re.escape(text)
    if whole_word:
        pattern = rf"(?<!\w){pattern}(?!\w)"
    return [m.start() for m in re.finditer(pattern, body)]


def convert(annotation: dict[str, Any], body: str) -> dict[str, Any]:
    errors = []
    quotes = []
    for q in annotation.get("quotes", []):
        found = occurrences(body, q["text"], whole_word=False)
        n = q.get("occurrence", 1)
        if len(found) < n:
            errors.append(f"quote not found: {q['text'][:60]!r}")
            continue
        start = found[n - 1]
        end = start + len(q["text"])
        gold: dict[str, Any] = {
            "start": start,
            "end": end,
            "kind": q["kind"],
            "cue": q.get("cue"),
            "speaker": q.get("speaker"),
            "speaker_start": None,
            "speaker_end": None,
        }
        if q.get("speaker_text"):
            spots = occurrences(body, q["speaker_text"], whole_word=True)
            if not spots:
                errors.append(f"speaker not found: {q['speaker_text']!r}")
            else:
                best = min(spots, key=lambda s: min(abs(s - start), abs(s - end)))
                gold["speaker_start"] = best
                gold["speaker_end"] = best + len(q["speaker_text"])
        quotes.append(gold)
    entities = []
    for e in annotation.get("entities", []):
        found = occurrences(body, e["text"], whole_word=True)
        if not found:
            errors.append(f"entity not found: {e['text']!r}")
        skip = set(e.get("skip", []))
        for i, start in enumerate(found, start=1):
            if i not in skip:
                entities.append(
                    {
                        "start": start,
                        "end": start + len(e["text"]),
                        "type": e["type"],
                        "name": e["name"],
                    }
                )
    if errors:
        raise SystemExit(f"{annotation['id']}: " + "; ".join(errors))
    entities.sort(key=lambda m: (m["start"], m["end"]))
    quotes.sort(key=lambda m: (m["start"], m["end"]))
    return {
        "id": annotation["id"],
        "body_sha": body_hash(body),
        "quotes": quotes,
        "entities": entities,
    }


def main() -> None:
    command, *args = sys.argv[1:]
    bodies = load_bodies()
    if command == "show":
        print(bodies[args[0]])
    elif command == "add":
        source, target = Path(args[0]), Path(args[1])
        annotation = json.loads(source.read_text(encoding="utf-8"))
        gold = convert(annotation, bodies[annotation["id"]])
        lines = [] if not target.exists() else target.read_text(encoding="utf-8").splitlines()
        lines = [line for line in lines if json.loads(line)["id"] != gold["id"]]
        lines.append(json.dumps(gold, ensure_ascii=False))
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{gold['id']}: {len(gold['quotes'])} quotes, {len(gold['entities'])} mentions")
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
