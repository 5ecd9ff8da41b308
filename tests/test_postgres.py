"""PostgreSQL: the engine seam's choice, tsquery rendering, the postgres_search migration
(generated tsvectors, accent folding, weights, the change counter) and the inline copy of the
article vectors that ranking reads (article_vector) on a real server."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade, upgrade
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from app.engines import database_url, engine_name
from app.engines.connect import create_db_engine
from app.engines.schema import include_object
from app.engines.tsquery import render_prefilter, render_tsquery
from app.search.language import parse
from tests.conftest import PostgresServer
from tests.test_migrations import _config
from tests.test_search import TRANSLATIONS


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/corpus", "postgresql+psycopg://u:p@db:5432/corpus"),
        ("postgres://u@db/corpus", "postgresql+psycopg://u@db/corpus"),
        ("postgresql+psycopg://u@db/corpus", "postgresql+psycopg://u@db/corpus"),
        ("sqlite:///./data/corpus.db", "sqlite:///./data/corpus.db"),
    ],
)
def test_the_url_picks_the_engine_and_driver(url: str, expected: str) -> None:
    assert database_url(url) == expected
    assert engine_name(url) == expected.split(":")[0].split("+")[0]


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        engine_name("mysql://u@db/corpus")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trade war", "('trade' & 'war')"),
        ('"trade war"', "('trade' <-> 'war')"),
        ("trade OR tariff", "('trade' | 'tariff')"),
        ("trade -war", "('trade' & !'war')"),
        ("tarif*", "'tarif':*"),
        ("title:huawei", "'huawei':A"),
        ("title:tarif*", "'tarif':*A"),
        ('body:"joint labs"', "('joint':B <-> 'labs':B)"),
        ("title:(a -b)", "('a':A & !'b':A)"),
        ('"a b"~1', "('a' <1> 'b' | 'b' <1> 'a' | 'a' <2> 'b' | 'b' <2> 'a')"),
        ("cat's", "'cat''s'"),
        ("a\\b", "'a\\\\b'"),
        ("x:y&z|!w", "'x:y&z|!w'"),
    ],
)
def test_tsquery_rendering(query: str, expected: str) -> None:
    assert render_tsquery(parse(query)) == expected


def test_near_with_many_terms_stays_bounded() -> None:
    rendered = render_tsquery(parse("NEAR(a b c d e f, 100)"))
    assert rendered == "('a' & 'b' & 'c' & 'd' & 'e' & 'f')"


@pytest.fixture
def pg_engine(postgres: PostgresServer, pg_migrated_template: str) -> Iterator[Engine]:
    name = postgres.create("m_" + pg_migrated_template[-6:] + "x", template=pg_migrated_template)
    engine = create_db_engine(postgres.url_of(name))
    yield engine
    engine.dispose()
    postgres.drop(name)


def test_every_rendering_is_a_valid_tsquery(pg_engine: Engine) -> None:
    """Whatever the user typed, PostgreSQL reads our rendering: never a syntax error (a 500)."""
    with pg_engine.connect() as connection:
        for query, _ in TRANSLATIONS:
            tsquery = render_tsquery(parse(query))
            connection.execute(text("SELECT to_tsquery('corpus', :q)"), {"q": tsquery})


def test_models_and_migrations_agree(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_downgrade_upgrade(postgres: PostgresServer) -> None:
    name = postgres.create("updown")
    url = postgres.url_of(name)
    engine = create_db_engine(url)

    def objects() -> set[str]:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' UNION ALL "
                        "SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'corpus%' UNION ALL "
                        "SELECT proname FROM pg_proc WHERE proname LIKE 'corpus%'"
                    )
                ).scalars()
            )

    try:
        upgrade(_config(url), "head")
        made = {"article", "article_vector", "quote", "entity", "mention", "corpus_version"}
        made |= {"corpus", "corpus_article_vector"}
        assert made | {"corpus_names", "corpus_unaccent", "corpus_version_bump"} <= objects()
        downgrade(_config(url), "base")
        assert objects() == {"alembic_version"}
        upgrade(_config(url), "head")
        assert made <= objects()
    finally:
        engine.dispose()
        postgres.drop(name)


def _insert_article(connection: object, title: str, body: str) -> None:
    connection.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
            "ingested_at) VALUES (1, 'a', :title, :body, 3, 'h', now())"
        ),
        {"title": title, "body": body},
    )


def test_search_columns_follow_writes_and_fold_accents(pg_engine: Engine) -> None:
    def hits(table: str, tsquery: str) -> int:
        sql = f"SELECT count(*) FROM {table} WHERE search @@ to_tsquery('corpus', :q)"
        return int(connection.execute(text(sql), {"q": tsquery}).scalar_one())

    with pg_engine.begin() as connection:
        _insert_article(connection, "Café report", "Ships were counted.")
        connection.execute(
            text(
                'INSERT INTO quote (article_id, text, start, "end", kind, confidence) '
                "VALUES (1, 'ships sail', 0, 5, 'direct', 0)"
            )
        )
        assert hits("article", "'cafe'") == 1  # accents folded
        assert hits("article", "'CAFÉ'") == 1
        assert hits("article", "'ship'") == 1  # stemmed
        assert hits("article", "'cafe':A") == 1 and hits("article", "'cafe':B") == 0
        assert hits("article", "'the'") == 0 and hits("article", "'were'") == 1  # no stop words
        assert hits("quote", "'sailing'") == 1
        connection.execute(text("UPDATE article SET title = 'Airport report' WHERE id = 1"))
        assert hits("article", "'cafe'") == 0 and hits("article", "'airport'") == 1
        connection.execute(text("DELETE FROM article WHERE id = 1"))
        assert hits("quote", "'sail'") == 0  # cascaded


def _vectors(connection: object) -> list[tuple[int, bool]]:
    """Each copied vector's article and whether it is the article's vector."""
    sql = (
        "SELECT v.article_id, v.search = a.search FROM article_vector v "
        "LEFT JOIN article a ON a.id = v.article_id ORDER BY v.article_id"
    )
    return [tuple(row) for row in connection.execute(text(sql))]  # type: ignore[attr-defined]


def test_the_inline_vectors_follow_article_writes(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        _insert_article(connection, "Café report", "Ships were counted.")
        assert _vectors(connection) == [(1, True)]
        connection.execute(text("UPDATE article SET body = 'Planes were counted.' WHERE id = 1"))
        assert _vectors(connection) == [(1, True)]
        count = "SELECT count(*) FROM article_vector WHERE search @@ to_tsquery('corpus', :q)"
        assert connection.execute(text(count), {"q": "'plane'"}).scalar_one() == 1
        assert connection.execute(text(count), {"q": "'ship'"}).scalar_one() == 0
        connection.execute(text("UPDATE article SET author = 'A. Writer' WHERE id = 1"))
        assert _vectors(connection) == [(1, True)]
        # ingestion's upsert by hash: a conflicting insert adds nothing
        connection.execute(
            text(
                "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
                "ingested_at) VALUES (2, 'b', 'Other', 'Text', 1, 'h', now()) "
                "ON CONFLICT (content_hash) DO NOTHING"
            )
        )
        assert _vectors(connection) == [(1, True)]
        connection.execute(text("DELETE FROM article WHERE id = 1"))
        assert _vectors(connection) == []


def test_the_inline_vectors_are_copied_on_upgrade_and_go_on_downgrade(
    postgres: PostgresServer,
) -> None:
    name = postgres.create("vectors")
    url = postgres.url_of(name)
    engine = create_db_engine(url)
    try:
        upgrade(_config(url), "4f1c2a9e8b37")
        with engine.begin() as connection:
            _insert_article(connection, "Harbour report", "Ships were counted.")
        upgrade(_config(url), "head")
        with engine.begin() as connection:
            assert _vectors(connection) == [(1, True)]
            storage = (
                "SELECT a.attstorage, c.reloptions FROM pg_attribute a JOIN pg_class c "
                "ON c.oid = a.attrelid WHERE c.relname = 'article_vector' AND a.attname = 'search'"
            )
            assert tuple(connection.execute(text(storage)).one()) == (
                "e",
                ["toast_tuple_target=8160"],
            )
        downgrade(_config(url), "4f1c2a9e8b37")
        with engine.begin() as connection:
            tables = "SELECT count(*) FROM pg_tables WHERE tablename = 'article_vector'"
            assert connection.execute(text(tables)).scalar_one() == 0
            connection.execute(text("UPDATE article SET title = 'Port report' WHERE id = 1"))
    finally:
        engine.dispose()
        postgres.drop(name)


@pytest.mark.parametrize(
    ("query", "source", "reads_article"),
    [
        ("year", None, False),
        ('"united states"', None, False),
        ("init*", None, False),
        ("year", "BBC News", True),
    ],
)
def test_ranking_reads_the_inline_vectors(
    pg_engine: Engine, query: str, source: str | None, reads_article: bool
) -> None:
    """Ranking reads the tsvectors from article_vector's rows; article only for filters."""
    from app.engines.postgres import _ranked
    from app.search import ArticleFilters

    sql, params = _ranked(parse(query), ArticleFilters(source=source), counted=True)
    with pg_engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            connection.execute(
                text(f"EXPLAIN {sql}"), {**params, "limit": 20, "offset": 0}
            ).scalars()
        )
    assert " on article_vector " in plan, plan
    assert (" on article " in plan) is reads_article, plan


@pytest.mark.parametrize(
    ("query", "title", "body"),
    [
        ("cafe", "[Café] news", "The [cafés] of Paris' [cafe]"),
        ("running", "[Run]", "He [runs], [running] to the [run]-up"),
        ("init*", "x", "[Initial] [initiatives] in it"),
        ("title:cafe", "[Cafe]", "cafe"),
        ("body:cafe -paris", "Cafe", "[cafe] Paris"),
        # a word is found where it starts, not inside another word
        ("run", "Rerun", "[Runs] rerun run2 [run]"),
        # a letter whose lower case is two characters ("İ" → "i̇") moves no mark
        ("istanbul", "[İstanbul] talks", "In [Istanbul], mistanbul, [İSTANBUL]'s"),
        ("naive", "[Naïve]", "[NAÏVE] [naive] [naïvely] naïf"),
    ],
)
def test_matches_are_marked_like_the_index_reads_them(
    pg_engine: Engine, query: str, title: str, body: str
) -> None:
    from sqlmodel import Session

    from app.engines.postgres_marks import mark_rows

    row = {"title": title.replace("[", "").replace("]", ""), "body": body.replace("[", "")}
    row["body"] = row["body"].replace("]", "")
    with Session(pg_engine) as session:
        mark_rows(session, render_tsquery(parse(query)), [row])
    assert row["marked_title"].replace("\x02", "[").replace("\x03", "]") == title
    assert row["marked_body"].replace("\x02", "[").replace("\x03", "]") == body


def test_a_page_seen_before_is_marked_without_a_statement(pg_engine: Engine) -> None:
    from sqlalchemy import event
    from sqlmodel import Session

    from app.engines.postgres_marks import Stemmer, mark_rows

    statements: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    # words no other test asks about: the memory is the process's
    tsquery = render_tsquery(parse("quokkas gardening"))
    rows = [{"title": "Quokka", "body": "Gardening with quokkas, he gardens"}]
    with Session(pg_engine) as session:
        mark_rows(session, tsquery, rows)
        first, seen = dict(rows[0]), len(statements)
        mark_rows(session, tsquery, rows)
    assert seen > 0 and len(statements) == seen
    assert rows[0] == first
    # a full memory forgets, but never a word of the batch it is answering
    stemmer = Stemmer(queries=1, words=2)
    words = {"running", "cafés", "runs", "states", "united"}
    with Session(pg_engine) as session:
        stems = stemmer.words(session, words)
        assert stems == stemmer.words(session, words)
    assert stems["running"] == stems["runs"] == ["run"] and stems["cafés"] == ["cafe"]
    assert len(stemmer.forms) <= 2


def test_names_and_aliases_are_found_by_prefix_without_accents(pg_engine: Engine) -> None:
    from sqlmodel import Session

    from app.db.models import Entity
    from app.queries.entities import entities_query

    with Session(pg_engine) as session:
        session.add(Entity(name="Zoë Müller", type="PERSON", aliases=["Zoé", "Dr Müller"]))
        session.add(Entity(name="Mull", type="GPE", aliases=[]))
        session.commit()
        for query, found in (("zoe mu", 1), ("mull", 2), ("ZOÉ", 1), ("dr mul", 1), ("x", 0)):
            statement = entities_query(name_query=query)
            assert len(session.execute(statement).all()) == found, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trade war", None),  # GIN answers these without a recheck
        ("trade OR tarif*", None),
        ('"trade war"', "('trade' & 'war')"),
        ('"trade war" OR tariff*', "(('trade' & 'war') | 'tariff':*)"),
        ("NEAR(trade war, 5)", "('trade' & 'war')"),
        ("title:huawei china", "('huawei' & 'china')"),
        ('body:"joint labs"', "('joint' & 'labs')"),
        ('"trade war" -china', None),  # without the NOT's words it would be no superset
        ("title:(a -b)", None),
    ],
)
def test_prefilter_rendering(query: str, expected: str | None) -> None:
    assert render_prefilter(parse(query)) == expected


# phrases, NEAR and scopes, the queries ranked by the prefilter: their rows must be `@@`'s
_RECHECKED = [
    '"trade war"',
    '"war trade"',
    '"trade war" OR "joint labs"',
    '"trade war" tariffs',
    "NEAR(trade war, 1)",
    "NEAR(war tariffs, 3)",
    '"tariffs rose" trad*',
    "title:trade",
    'body:"trade war"',
    "title:war OR body:tariffs",
    '"the war"',
]


def test_ranking_by_the_prefilter_finds_what_the_tsquery_matches(pg_engine: Engine) -> None:
    """A match is a candidate of the looser query whose ts_rank_cd is above 0: the same rows
    as `search @@ tsquery` (no NOT in these queries; those keep `@@`)."""
    from sqlmodel import Session

    from app.search import ArticleFilters, Highlight, rank_articles

    texts = [
        ("Trade war", "The trade war deepened; tariffs rose."),
        ("War of trade", "A war over trade, then the war trade boomed."),
        ("Tariffs", "Trade grew and the war ended, tariffs fell."),
        ("Labs", "Joint labs opened. The war on trade wars went on."),
        ("Nothing", "Weather was calm all week."),
        ("Warring traders", "Traders warred over trade warily."),
    ]
    with pg_engine.begin() as connection:
        for n, (title, body) in enumerate(texts, start=1):
            connection.execute(
                text(
                    "INSERT INTO article (id, source_id, title, body, word_count, content_hash, "
                    "ingested_at) VALUES (:n, :n, :title, :body, 3, :n, now())"
                ),
                {"n": n, "title": title, "body": body},
            )
    found: list[int] = []
    with Session(pg_engine) as session:
        for query in _RECHECKED:
            expression = parse(query)
            assert render_prefilter(expression) is not None, query
            sql = "SELECT id FROM article WHERE search @@ to_tsquery('corpus', :q)"
            matched = {
                row[0] for row in session.execute(text(sql), {"q": render_tsquery(expression)})
            }
            hits, total, _ = rank_articles(
                session,
                expression=expression,
                filters=ArticleFilters(),
                sort="relevance",
                limit=100,
                offset=0,
                highlight=Highlight(),
                timeout_ms=5000,
            )
            assert {hit["id"] for hit in hits} == matched, query
            assert total == len(matched), query
            found.append(len(matched))
    assert all(found) and max(found) < len(texts), found  # each query tells articles apart
