"""A seeded random sample of the people stage's merges to judge by hand (issue 20).

    .venv/bin/python eval/people_sample.py /tmp/people/corpus.db --n 100 --seed 20 > sample.txt

A merge is one article's own entity moved to another (``mention.local_entity_id``): a bare
surname or a name variant. Each line gives the article's source id, the name as the article
links it, the entity it joined, and the text around its first mention, to judge with the
article at hand. Judgements are kept in ``eval/judged/people-merges-seed<N>.jsonl`` as
``{"source_id", "local", "target", "right", "note"}`` (no article text); the first line of a
newer file says how the sample was drawn (``{"drawn": command, "db": how it was made}``).
"""

import argparse
import random
import sqlite3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    units = db.execute(
        "SELECT DISTINCT a.source_id, l.name, t.name, m.article_id, m.local_entity_id "
        "FROM mention m JOIN article a ON a.id = m.article_id "
        "JOIN entity l ON l.id = m.local_entity_id JOIN entity t ON t.id = m.entity_id "
        "ORDER BY a.source_id, l.name"
    ).fetchall()
    print(f"# {len(units)} merges; {min(args.n, len(units))} drawn with seed {args.seed}")
    for source_id, local, target, article_id, local_id in random.Random(args.seed).sample(
        units, min(args.n, len(units))
    ):
        body, start = db.execute(
            "SELECT a.body, min(m.start) FROM mention m JOIN article a ON a.id = m.article_id "
            "WHERE m.article_id = ? AND m.local_entity_id = ?",
            (article_id, local_id),
        ).fetchone()
        context = body[max(0, start - 160) : start + 80].replace("\n", " ")
        print(f"{source_id}\t{local}\t→ {target}\t…{context}…")


if __name__ == "__main__":
    main()
