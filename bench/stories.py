"""Story assignment time with many articles stored (issue 19): loads N articles made of
paragraphs of the development corpus (six each, drawn at random: unrelated articles that share
paragraphs, the hard case for LSH), then times ``join_story`` for new articles, half of them copies.

Usage: python -m bench.stories [--articles 100000] [--new 200] [--db FILE] [--reuse]"""

import argparse
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

from app.cli import run_migrations
from app.corpus import join_story
from app.corpus.shingles import keys_of, packed, packed_shingles, shingles, signature
from app.db.stories import Story, StoryArticle, StoryBand, StorySignature
from app.engines.connect import create_db_engine

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles.jsonl"
_INSERT = text(
    "INSERT INTO article (id, source_id, title, body, word_count, content_hash, ingested_at) "
    "VALUES (:id, :source_id, 't', :body, 1, :source_id, :at)"
)


def load(url: str, count: int, paragraphs: list[str], rng: random.Random) -> None:
    """``count`` articles, each alone in its story, their band keys and signatures stored."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        for start in range(0, count, 2000):
            ids = range(start + 1, min(count, start + 2000) + 1)
            bodies = {i: "\n\n".join(rng.sample(paragraphs, 6)) for i in ids}
            now = datetime.now(UTC)
            connection.execute(
                _INSERT,
                [{"id": i, "source_id": f"s{i}", "body": b, "at": now} for i, b in bodies.items()],
            )
            sets = {i: shingles(b) for i, b in bodies.items()}
            minhashes = {i: signature(hashed) for i, hashed in sets.items()}
            keys = [
                {"key": k, "article_id": i} for i, m in minhashes.items() for k in set(keys_of(m))
            ]
            connection.execute(insert(StoryBand), keys)
            connection.execute(
                insert(StorySignature),
                [
                    {"article_id": i, "minhash": packed(m), "shingles": packed_shingles(sets[i])}
                    for i, m in minhashes.items()
                ],
            )
            connection.execute(
                insert(Story),
                [{"id": i, "size": 1, "source_count": 0, "first_article_id": i} for i in ids],
            )
            connection.execute(
                insert(StoryArticle), [{"article_id": i, "story_id": i} for i in ids]
            )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--db", type=Path, default=Path("/tmp/stories-bench.db"))
    parser.add_argument(
        "--reuse", action="store_true", help="time on the database a previous run loaded"
    )
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    with CORPUS.open(encoding="utf-8") as lines:
        bodies = [json.loads(line)["body"] for line in lines]
    paragraphs = [p for b in bodies for p in b.split("\n\n") if len(p.split()) > 20]
    rng = random.Random(19)
    if not (args.reuse and args.db.exists()):
        args.db.unlink(missing_ok=True)
        run_migrations(url)
        started = time.perf_counter()
        load(url, args.articles, paragraphs, rng)
        print(f"{args.articles} articles loaded in {time.perf_counter() - started:.0f} s")
    engine = create_db_engine(url)
    times, cpu_times = [], []
    # its own generator: a run on a reused database times the same new articles as a fresh one
    # (drawn from the loading generator, they would repeat the first stored articles)
    rng = random.Random(2024)
    # the new articles are rolled back at the end, so that a database can be reused
    with Session(engine) as session, session.begin():
        args.articles = session.execute(text("SELECT max(id) FROM article")).scalar_one()
        for n in range(args.new):
            article_id = args.articles + n + 1
            if n % 2:  # a copy of a stored article with a tail
                copied = rng.randrange(1, args.articles + 1)
                body = session.execute(
                    text("SELECT body FROM article WHERE id = :i"), {"i": copied}
                ).scalar_one()
                body += "\n\nRead more: our coverage"
            else:
                body = "\n\n".join(rng.sample(paragraphs, 6))
            session.execute(
                _INSERT,
                {
                    "id": article_id,
                    "source_id": f"n{article_id}",
                    "body": body,
                    "at": datetime.now(UTC),
                },
            )
            started, cpu = time.perf_counter(), time.process_time()
            join_story(session, article_id, body)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        session.rollback()
    engine.dispose()
    for label, spent in (("wall", times), ("CPU", cpu_times)):
        spent.sort()
        print(
            f"join_story over {args.articles} articles, {label} time: "
            f"p50 {spent[len(spent) // 2] * 1000:.1f} ms, "
            f"p95 {spent[int(len(spent) * 0.95)] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
