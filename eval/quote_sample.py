"""Draw a seeded random sample of what ``GET /api/v1/quotes`` lists by default, for judging by
hand (``../shared/tools/quote-judging/README.md``), and count the judgements.

    python eval/quote_sample.py draw --seed 20 -n 100 --out eval/judged/tune-seed20.jsonl \
        --scratch /tmp/quote-sample-20.txt [--keep /tmp/qs-db] [--db /tmp/qs-db/corpus.db]
    python eval/quote_sample.py report eval/judged/tune-seed20.jsonl
    python eval/quote_sample.py carry eval/judged/tune-seed20.jsonl /tmp/qs-db/corpus.db

``draw`` ingests the shared corpus (``../shared/corpus/articles.jsonl``) into a temporary SQLite
database with the project's own ``corpus`` CLI (or reuses ``--db``), serves it on a free port,
reads the whole listing (``limit=100``, following ``next``), keeps the kinds of ``--kinds`` (by
default those the API lists by default since issue 20: direct, block, partial, mixed and
indirect, whether or not the server still lists stances too), orders it by quote id and draws
``n`` rows with ``random.Random(seed).sample``. The file in ``eval/`` keeps what the
judging README asks to keep, without article text: the article's ``source_id``, offsets, kind,
confidence, cue, the speaker as written (offsets) and resolved, and empty answers to fill in.
The quoted words and the article around them (400 characters before, 300 after) go to the
``--scratch`` file outside the repository, for the judge to read.

A judgement line holds ``real`` (true/false), ``content`` (true/false, when real), ``speaker``
(``yes``/``no``/``none-given``/``none-correct``, when real), ``vague`` (a vague but right label)
and ``pattern`` (why not, in a few words). ``report`` prints the table of the README by kind,
for the default list and for ``confidence >= 0.8``, and the failure patterns with counts.
``carry`` reports the judged quotes that another database (ingested by a later version of the
rules) still lists with the same offsets, kind and speaker, with their judgements: how a
change moved the sample it was tuned on (never a figure to report alone; draw a fresh one).
"""

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"
BEFORE, AFTER = 400, 300
KINDS = ("direct", "indirect", "mixed + partial", "stance")
# what GET /api/v1/quotes lists by default since issue 20: speech, stances only when asked
SPEECH_KINDS = ("direct", "block", "partial", "mixed", "indirect")


def _get(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as answer:
        return json.loads(answer.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Migrate and ingest the corpus unless ``--db`` names a database that exists."""
    corpus = str(ROOT / ".venv" / "bin" / "corpus")
    subprocess.run([corpus, "migrate"], env=env, check=True, capture_output=True)
    started = time.process_time(), time.perf_counter()
    done = subprocess.run(
        [corpus, "ingest", str(args.corpus)], env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started[1]
    print(f"ingest: {wall:.0f} s wall; {done.stdout.strip().splitlines()[-1:]}", file=sys.stderr)


def _listing(base: str) -> list[dict[str, Any]]:
    """Every row of the default listing, page by page."""
    rows: list[dict[str, Any]] = []
    url: str | None = f"{base}/api/v1/quotes?limit=100"
    while url:
        page = _get(url)
        rows.extend(page["items"])
        url = page.get("next")
        if url and url.startswith("/"):
            url = base + url
    return rows


def draw(args: argparse.Namespace) -> None:
    folder = Path(args.keep or tempfile.mkdtemp(prefix="quote-sample-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = Path(args.db) if args.db else folder / "corpus.db"
    env = {**os.environ, "CORPUS_DATABASE_URL": f"sqlite:///{db}"}
    if not args.db:
        _database(args, env)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "corpus"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                _get(base + "/health")
                break
            except OSError:
                time.sleep(0.5)
        rows = sorted(_listing(base), key=lambda row: row["id"])
        wanted = set(args.kinds.split(","))
        rows = [row for row in rows if row["kind"] in wanted]
        sample = random.Random(args.seed).sample(rows, args.n)
        articles: dict[int, dict[str, Any]] = {}
        for row in sample:
            if row["article_id"] not in articles:
                articles[row["article_id"]] = _get(f"{base}/api/v1/articles/{row['article_id']}")
    finally:
        server.terminate()
        server.wait()
    kinds = Counter(row["kind"] for row in rows)
    print(f"listed {len(rows)} quotes by default: {dict(kinds)}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as out, open(args.scratch, "w") as scratch:
        for number, row in enumerate(sample, 1):
            article = articles[row["article_id"]]
            body = article["body"]
            keep = {
                "n": number,
                "seed": args.seed,
                "source_id": article["source_id"],
                "start": row["start"],
                "end": row["end"],
                "kind": row["kind"],
                "confidence": row["confidence"],
                "cue": row["cue"],
                # the speaker as written is the article's text: kept by its offsets only
                "speaker_start": row["speaker_start"],
                "speaker_end": row["speaker_end"],
                "speaker": row["speaker"],
                "real": None,
                "content": None,
                "speaker_right": None,
                "vague": False,
                "pattern": None,
            }
            out.write(json.dumps(keep, ensure_ascii=False) + "\n")
            start, end = row["start"], row["end"]
            scratch.write(
                f"=== {number} {article['source_id']} {row['kind']} conf={row['confidence']} "
                f"cue={row['cue']!r} speaker_text={row['speaker_text']!r} "
                f"speaker={row['speaker']!r}\n"
                f"CONTENT: {row['text']}\n"
                f"CONTEXT: {body[max(0, start - BEFORE) : start]}[[{body[start:end]}]]"
                f"{body[end : end + AFTER]}\n\n"
            )


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "–"


def _table(lines: list[dict[str, Any]]) -> list[str]:
    out = [
        "| kind | count | real | content right (of real) | speaker right (of real, given) "
        "| none given (of real) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    groups = {kind: [] for kind in (*KINDS, "all")}  # type: dict[str, list[dict[str, Any]]]
    for line in lines:
        kind = "mixed + partial" if line["kind"] in ("mixed", "partial") else line["kind"]
        groups.setdefault(kind, []).append(line)
        groups["all"].append(line)
    for kind, members in groups.items():
        real = [m for m in members if m["real"]]
        given = [m for m in real if m["speaker_right"] in ("yes", "no")]
        none_given = [m for m in real if m["speaker_right"] in ("none-given", "none-correct")]
        out.append(
            f"| {kind} | {len(members)} | {_share(len(real), len(members))} "
            f"| {_share(sum(bool(m['content']) for m in real), len(real))} "
            f"| {_share(sum(m['speaker_right'] == 'yes' for m in given), len(given))} "
            f"| {_share(len(none_given), len(real))} |"
        )
    return out


def report(args: argparse.Namespace) -> None:
    lines = [json.loads(line) for line in open(args.judged, encoding="utf-8") if line.strip()]
    unjudged = [line["n"] for line in lines if line["real"] is None]
    if unjudged:
        sys.exit(f"not judged yet: {unjudged}")
    print(f"default list ({len(lines)} quotes, seed {lines[0]['seed']}):")
    print("\n".join(_table(lines)))
    sure = [line for line in lines if line["confidence"] >= 0.8]
    print(f"\nmin_confidence=0.8 ({len(sure)} of them):")
    print("\n".join(_table(sure)))
    vague = sum(1 for line in lines if line["real"] and line["vague"])
    print(f"\nvague but right speaker labels: {vague}")
    patterns = Counter(line["pattern"] for line in lines if line["pattern"])
    print("\nfailure patterns:")
    for pattern, count in patterns.most_common():
        print(f"- {pattern}: {count}")


def carry(args: argparse.Namespace) -> None:
    lines = [json.loads(line) for line in open(args.judged, encoding="utf-8") if line.strip()]
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT a.source_id, q.start, q.end, q.kind, q.speaker, q.speaker_start, q.speaker_end "
            "FROM quote q JOIN article a ON a.id = q.article_id"
        ).fetchall()
    listed = {(r[0], r[1], r[2]): r[3:] for r in rows}
    kept, changed, gone = [], [], []
    for line in lines:
        now = listed.get((line["source_id"], line["start"], line["end"]))
        if now is None:
            gone.append(line)
        elif now == (line["kind"], line["speaker"], line["speaker_start"], line["speaker_end"]):
            kept.append(line)
        else:
            changed.append(line)
    print(f"{len(kept)} listed the same, {len(changed)} changed, {len(gone)} no longer listed")
    print(
        f"not listed any more: {sum(not g['real'] for g in gone)} judged not real, "
        f"{sum(bool(g['real']) for g in gone)} real"
    )
    for line in gone:
        print(f"- gone: {line['n']} {line['kind']} real={line['real']} {line['pattern'] or ''}")
    for line in changed:
        print(f"- changed: {line['n']} {line['kind']} real={line['real']}")
    print("\n".join(_table(kept)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    drawing = commands.add_parser("draw")
    drawing.add_argument("--seed", type=int, required=True)
    drawing.add_argument("-n", type=int, default=100)
    drawing.add_argument("--corpus", type=Path, default=CORPUS)
    drawing.add_argument("--out", required=True, help="the judgement file in eval/judged/")
    drawing.add_argument("--scratch", required=True, help="text to judge by, outside the repo")
    drawing.add_argument("--keep", help="a folder for the database, kept for another draw")
    drawing.add_argument("--db", help="an ingested database to read instead of a new one")
    drawing.add_argument(
        "--kinds",
        default=",".join(SPEECH_KINDS),
        help="the kinds drawn from (default: those /quotes lists by default, issue 20)",
    )
    drawing.set_defaults(run=draw)
    counting = commands.add_parser("report")
    counting.add_argument("judged")
    counting.set_defaults(run=report)
    carrying = commands.add_parser("carry")
    carrying.add_argument("judged")
    carrying.add_argument("db")
    carrying.set_defaults(run=carry)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
