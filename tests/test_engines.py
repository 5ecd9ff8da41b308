"""Both engines give the same answers: the same records ingested into SQLite and PostgreSQL,
and every query of the README's query-language table finds the same articles on each."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.folding import folded
from app.engines.connect import create_db_engine
from app.ingest.run import ingest
from tests.conftest import MODEL, PostgresServer, make_client, sqlite_url

# (title, body): each README query below has matches and non-matches among these
_ARTICLES = [
    ("Trade war escalates", "The trade war between the two countries deepened as tariffs rose."),
    ("Tariff talks", "Officials discussed a new tariff on steel imports from China."),
    ("Trading floor", "Trading was quiet; the war in the region worried few brokers."),
    ("Huawei opens labs", "Huawei and its partners built joint labs in Shenzhen last spring."),
    ("Markets", "The war of words over trade went on for weeks without any agreement."),
    ("Café culture", "Tarifs des cafés: prices rose in Paris, a café owner said."),
    (
        "Long view",
        "Trade grew strongly this year across every region of the continent, economists "
        "noted in their report, and nobody expected another war.",
    ),
    ("Phones", "Huawei sold more phones than anyone expected in China."),
    ("Exports", "China exported more goods while trade with its neighbours grew."),
    ("Weather", "Rain is expected across the north on Tuesday, with sunshine later."),
    ("Labs and joints", "The labs were joint ventures: labs first, joint work later."),
]

# every row of the README's query-language table, and a few of its promises
QUERIES = [
    "trade war",
    '"trade war"',
    "trade OR tariff",
    "trade -war",
    "trade NOT war",
    "tarif*",
    "NEAR(trade war, 5)",
    '"trade war"~5',
    "(trade OR tariff) china",
    "title:huawei",
    'body:"joint labs"',
    "cafe",
    "TRADING",
]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("engines") / "articles.jsonl"
    lines = [
        json.dumps(
            {"id": f"a{n}", "title": title, "body": body, "published": f"2024-05-{n + 1:02}"}
        )
        for n, (title, body) in enumerate(_ARTICLES)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ingested(url: str, records: Path) -> None:
    engine = create_db_engine(url)
    report = ingest([records], engine=engine, model=MODEL, workers=1)
    engine.dispose()
    assert (report.added, report.failed) == (len(_ARTICLES), 0)


@pytest.fixture(scope="module")
def clients(
    records: Path,
    migrated_template: Path,
    pg_migrated_template: str,
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, TestClient]]:
    path = tmp_path_factory.mktemp("engines") / "corpus.db"
    path.write_bytes(migrated_template.read_bytes())
    name = postgres.create("engines", template=pg_migrated_template)
    urls = {"sqlite": sqlite_url(path), "postgresql": postgres.url_of(name)}
    for url in urls.values():
        _ingested(url, records)
    with make_client(urls["sqlite"]) as lite, make_client(urls["postgresql"]) as pg:
        yield {"sqlite": lite, "postgresql": pg}
    postgres.drop(name)


def _found(client: TestClient, query: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": query, "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {hit["source_id"] for hit in body["items"]}


@pytest.mark.parametrize("query", QUERIES)
def test_every_query_finds_the_same_articles(clients: dict[str, TestClient], query: str) -> None:
    on_sqlite = _found(clients["sqlite"], query)
    assert 0 < len(on_sqlite) < len(_ARTICLES), on_sqlite  # the query tells articles apart
    assert _found(clients["postgresql"], query) == on_sqlite


def test_scores_rank_the_same_way(clients: dict[str, TestClient]) -> None:
    """Higher is better on both: the article with "trade war" in its title comes first."""
    for client in clients.values():
        hits = client.get("/api/v1/search", params={"q": "trade war"}).json()["items"]
        assert hits[0]["source_id"] == "a0"
        scores = [hit["score"] for hit in hits]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("sort", "offset"), [("relevance", 0), ("-published", 0), ("relevance", 50)]
)
def test_facets_and_matches_agree(clients: dict[str, TestClient], sort: str, offset: int) -> None:
    """PostgreSQL counts facets (and, by date or past the last page, the total) from rows
    grouped by source and month; SQLite from one row per match: the same answers."""
    facets = ["source", "published_year", "published_month", "entity"]
    params = {"q": "trade OR tariff OR huawei", "facet": facets, "sort": sort, "offset": offset}
    answers = [client.get("/api/v1/search", params=params).json() for client in clients.values()]
    assert answers[0]["total"] == answers[1]["total"] > 0
    for answer in answers:  # entity ids may differ between the databases; names may not
        answer["facets"]["entity"] = [
            (e["value"], e["type"], e["count"]) for e in answer["facets"]["entity"]
        ]
    assert answers[0]["facets"] == answers[1]["facets"]
    assert answers[0]["facets"]["entity"] and answers[0]["facets"]["published_month"]
    matches = [{hit["source_id"]: hit["matches"] for hit in a["items"]} for a in answers]
    assert matches[0] == matches[1]


def test_quotes_and_entities_agree(clients: dict[str, TestClient]) -> None:
    for path in ("/api/v1/entities?q=hua", "/api/v1/entities?q=shen", "/api/v1/quotes?q=prices"):
        found = [
            sorted(item["id"] for item in client.get(path).json()["items"])
            for client in clients.values()
        ]
        assert found[0] == found[1] and found[0], path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Émile  Zola ", "emile zola"),  # accents, case, spaces
        ("Søren Ødegård", "soren odegard"),  # letters that do not decompose
        ("Łukasz Ćwik", "lukasz cwik"),
        ("Straße", "strasse"),  # case folding, not lower()
        ("İstanbul", "istanbul"),
        ("ﬁnance ＵＮ", "finance un"),  # compatibility forms: ligatures, full width
        ("Conor O’Brien", "conor o'brien"),  # typographic apostrophe, as written in ASCII
        ("Jean‑Luc – Picard", "jean-luc - picard"),  # non-breaking hyphen, en dash
        ("习近平", "习近平"),  # other scripts as they are
        ("", ""),
        ("   ", ""),
        (None, None),
    ],
)
def test_names_are_folded_alike_on_every_engine(name: str | None, expected: str | None) -> None:
    """The stored keys depend on these: a change here needs a migration that folds again."""
    assert folded(name) == expected


@pytest.mark.parametrize(
    ("text", "heads", "words"),
    [
        # where a head starts a word, not inside one; a lexeme like '-1' starts no word
        ("Rerun: Runs, run2 -1 RUN", ("run", "-1", ""), ["runs", "run2", "run"]),
        # a word with a letter outside ASCII is compared folded
        ("“Naïve” états, naive", ("nai", "eta"), ["naïve", "états", "naive"]),
        # "İ" lower-cases to two characters: the offsets still point into the text
        ("İstanbul, mistanbul; Istanbul", ("ist",), ["i̇stanbul", "istanbul"]),
    ],
)
def test_words_to_mark_are_found_from_their_first_letters(
    text: str, heads: tuple[str, ...], words: list[str]
) -> None:
    """PostgreSQL's hits are marked from these (app/engines/postgres_marks.py)."""
    from app.engines.postgres_marks import candidates

    spans = candidates(text, heads)
    assert [word for _, _, word in spans] == words
    assert all(text[start:end].lower() == word for start, end, word in spans)


def test_a_word_outside_ascii_is_folded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text without spaces (Chinese, Japanese) is one long word: folding it again for each
    of its letters took quadratic time (2,000 characters: 0.6 s)."""
    from app.engines import postgres_marks

    folds: list[str] = []

    def counted(text: str | None) -> str | None:
        folds.append(text or "")
        return folded(text)

    monkeypatch.setattr(postgres_marks, "folded", counted)
    spans = postgres_marks.candidates("東京" * 1000 + " états " + "Ωmega" * 3, ("eta",))
    assert [word for _, _, word in spans] == ["états"]
    assert len(folds) == 3  # the three words holding a letter outside ASCII
