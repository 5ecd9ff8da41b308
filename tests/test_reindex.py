"""``corpus reindex``: the derived search structures come back from the tables, on both engines,
and a reindex stopped half way leaves the index it found."""

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.engines import reindex
from app.engines.connect import create_db_engine
from tests.conftest import make_client
from tests.factories import make_article

WORDS = ("zephyr", "quillwort", "marzipan")


@pytest.fixture
def articles(session: Session) -> list[int]:
    ids = []
    for n, word in enumerate(WORDS):
        article = make_article(
            session, title=f"On {word}", body=f"A {word} story, part {n}, about {word} again."
        )
        assert article.id is not None
        ids.append(article.id)
    return ids


def _found(db_url: str, word: str) -> list[int]:
    with make_client(db_url, RESPONSE_CACHE_MB=0) as client:
        response = client.get("/api/v1/search", params={"q": word})
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["items"]]


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CORPUS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(db_url: str, *statements: str) -> None:
    engine = create_db_engine(db_url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


# what losing the index looks like on each engine: SQLite's FTS5 index emptied, PostgreSQL's
# ranking copy of the vectors gone
LOSE_INDEX = {
    "sqlite": ("INSERT INTO article_fts(article_fts) VALUES ('delete-all')",),
    "postgresql": ("DELETE FROM article_vector",),
}
# rows copied in SQL past the triggers that index them
TRIGGERS_OFF = {
    "sqlite": ("DROP TRIGGER article_fts_ai",),
    "postgresql": ("ALTER TABLE article DISABLE TRIGGER article_vector_insert",),
}


def test_a_lost_index_comes_back(
    db_url: str, engine_kind: str, articles: list[int], cli: CliRunner
) -> None:
    before = {word: _found(db_url, word) for word in WORDS}
    assert before == {word: [article] for word, article in zip(WORDS, articles, strict=True)}
    _run(db_url, *LOSE_INDEX[engine_kind])
    assert _found(db_url, "zephyr") == []
    result = cli.invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert {word: _found(db_url, word) for word in WORDS} == before


def test_rows_copied_in_sql_are_found_after_a_reindex(
    db_url: str, engine_kind: str, articles: list[int], cli: CliRunner
) -> None:
    copy = (
        "INSERT INTO article (source_id, title, body, published, source, url, author, "
        "word_count, content_hash, ingested_at) SELECT source_id || '-copy', title, body, "
        "published, source, url, author, word_count, content_hash || '-copy', ingested_at "
        "FROM article"
    )
    _run(db_url, *TRIGGERS_OFF[engine_kind], copy)
    assert len(_found(db_url, "quillwort")) == 1  # the copy is not indexed
    assert cli.invoke(app, ["reindex"]).exit_code == 0
    assert len(_found(db_url, "quillwort")) == 2
    # a second run changes nothing
    assert cli.invoke(app, ["reindex"]).exit_code == 0
    assert len(_found(db_url, "quillwort")) == 2


def test_a_reindex_stopped_half_way_leaves_the_index_it_found(
    db_url: str, articles: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reindex, "CHUNK", 1)  # one row a statement: stop after the first
    engine = create_db_engine(db_url)

    def stop(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), engine.begin() as connection:
        reindex.steps(connection)[0].run(stop)
    engine.dispose()
    assert {word: _found(db_url, word) for word in WORDS} == {
        word: [article] for word, article in zip(WORDS, articles, strict=True)
    }
