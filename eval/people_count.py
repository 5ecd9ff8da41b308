"""Bare-surname PERSON entities that share their surname with a full-name entity (issue 20).

    .venv/bin/python eval/people_count.py /tmp/people/corpus.db [--list N] [--quotes] [--shaped]
        [--initialled] [--categories]

Counts the listed (not merged) single-word PERSON entities whose name is the last word of a
listed PERSON entity of two or more words, compared casefolded; ``--quotes`` also counts the
quotes whose resolved speaker is such a bare surname, ``--list N`` prints the N most
mentioned; ``--shaped`` counts only the full names shaped as a person's
(``app.corpus.peoplewords.person_shaped``: not ``Mike Nichols' Closer``, ``Team GB``), which
no rule would let a surname join; ``--categories`` sorts the bare surnames by how they are
written (only in lists and line-ups, after a title, a given name or common word, other);
``--initialled`` also counts the listed names of an initial
and a surname (``G Easterby``, which the extraction keeps whole since EXTRACTION_VERSION 4, as
two players of one line-up are two people) that share their surname with a full name: not
bare, so not in the count, but not merged either. Reads a SQLite database made by ``corpus
ingest``.
"""

import argparse
import sqlite3
import unicodedata
from collections import defaultdict

from app.corpus.peoplewords import (
    COMMON_WORDS,
    GIVEN_NAMES,
    MONONYMS,
    in_list,
    person_shaped,
    titled,
)


def fold(name: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c)
    )


def bare_surnames(
    db: sqlite3.Connection, shaped: bool = False
) -> tuple[dict[int, str], dict[str, list[str]]]:
    """The bare surnames (id → name) that share a surname with a full name, and the full
    names of each surname."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(entity)")}
    listed = "merged_into IS NULL AND " if "merged_into" in columns else ""
    rows = db.execute(
        f"SELECT id, name FROM entity WHERE {listed}type = 'PERSON' AND mention_count > 0"
    ).fetchall()
    full: dict[str, list[str]] = defaultdict(list)
    for _, name in rows:
        words = name.split()
        if len(words) > 1 and (not shaped or person_shaped(name)):
            full[fold(words[-1])].append(name)
    bare = {i: name for i, name in rows if " " not in name.strip() and fold(name) in full}
    return bare, full


def categories(db: sqlite3.Connection, bare: dict[int, str]) -> dict[str, list[str]]:
    """The bare surnames by how they are written: every mention in a list or line-up, one
    after a courtesy title, a given name or common word, or other."""
    found: dict[str, list[str]] = defaultdict(list)
    for entity_id, name in bare.items():
        spans = db.execute(
            "SELECT a.body, m.start, m.end FROM mention m JOIN article a ON a.id = m.article_id "
            "WHERE m.entity_id = ?",
            (entity_id,),
        ).fetchall()
        if spans and all(in_list(body, start, end) for body, start, end in spans):
            found["only in lists and line-ups"].append(name)
        elif any(titled(body, start) for body, start, _ in spans):
            found["after a courtesy title"].append(name)
        elif fold(name) in GIVEN_NAMES | COMMON_WORDS | MONONYMS:
            found["a given name, common word or one-name person"].append(name)
        else:
            found["other"].append(name)
    return found


def initialled(db: sqlite3.Connection, full: dict[str, list[str]]) -> int:
    """How many listed PERSON names are an initial and a surname of a full name."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(entity)")}
    listed = "merged_into IS NULL AND " if "merged_into" in columns else ""
    rows = db.execute(
        f"SELECT name FROM entity WHERE {listed}type = 'PERSON' AND mention_count > 0"
    ).fetchall()
    count = 0
    for (name,) in rows:
        words = name.split()
        if len(words) == 2 and len(words[0].rstrip(".")) == 1 and words[0][:1].isupper():
            count += any(len(f.split()[0].rstrip(".")) > 1 for f in full.get(fold(words[1]), []))
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--list", type=int, default=0)
    parser.add_argument("--quotes", action="store_true")
    parser.add_argument("--shaped", action="store_true")
    parser.add_argument("--initialled", action="store_true")
    parser.add_argument("--categories", action="store_true")
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    bare, full = bare_surnames(db, args.shaped)
    print(f"bare-surname PERSON entities sharing a surname with a full name: {len(bare)}")
    if args.categories:
        for category, names in categories(db, bare).items():
            print(f"{category}: {len(names)} ({', '.join(sorted(names)[:12])} …)")
    if args.initialled:
        print(f"initialled names sharing a surname with a full name: {initialled(db, full)}")
    if args.quotes:
        marks = ",".join("?" * len(bare))
        (quotes,) = db.execute(
            f"SELECT count(*) FROM quote WHERE speaker_entity_id IN ({marks})", list(bare)
        ).fetchone()
        print(f"quotes whose speaker is one of them: {quotes}")
    if args.list:
        marks = ",".join("?" * len(bare))
        for name, articles in db.execute(
            f"SELECT name, article_count FROM entity WHERE id IN ({marks}) "
            "ORDER BY article_count DESC, name LIMIT ?",
            [*bare, args.list],
        ):
            print(f"{articles:4d} {name}: {'; '.join(sorted(full[fold(name)])[:6])}")


if __name__ == "__main__":
    main()
