"""Hostile values in files (issue 18), on both engines: each bad line is reported as
``file:line: reason`` naming its field, and every good line around it is stored."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.engines.connect import create_db_engine
from app.ingest.run import ingest

GOOD = '{{"id": "{id}", "title": "Harbour vote {id}", "body": "The council voted {id} times."}}'
BAD_LINES = [
    ('{"id": "s", "title": "\\ud800", "body": "A lone surrogate here."}', "field 'title'"),
    ('{"id": "n", "author": "a\\u0000b", "body": "A NUL in the byline."}', "field 'author'"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
    ('{"id": ' + "9" * 5_000 + ', "body": "An id too long to be a number."}', "field 'id'"),
    ('{"id": "d", "published": "9999-12-31T23:59:59-12:00", "body": "Far."}', "field 'published'"),
    (
        '{"id": "e", "published": "0001-01-01T00:00:00+14:00", "body": "Early."}',
        "field 'published'",
    ),
]


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


@pytest.mark.parametrize(("line", "reason"), BAD_LINES, ids=[r for _, r in BAD_LINES])
def test_a_bad_line_costs_only_itself(
    engine: Engine, blank_model: str, tmp_path: Path, line: str, reason: str
) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(f"{GOOD.format(id=1)}\n{line}\n{GOOD.format(id=2)}\n", encoding="utf-8")
    report = ingest([path], engine=engine, model=blank_model)
    assert (report.added, report.failed) == (2, 1), [str(e) for e in report.errors]
    [error] = report.errors
    assert str(error).startswith(f"{path}:2: {reason}"), str(error)
