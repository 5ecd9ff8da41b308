"""What is measured: each case's URL on our API, its Datasette equivalents and its in-process
floor (the SQL a hand-written program would run with Python's ``sqlite3``)."""

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

Statement = tuple[str, tuple[object, ...]]

_SNIPPET = "snippet(article_fts, -1, '<b>', '</b>', '…', 24)"
# bm25 order with the rank configured by the migration (title 10×), snippets for the page only
_RANKED = (
    f"SELECT a.id, a.title, {_SNIPPET} FROM article_fts JOIN article a ON a.id = article_fts.rowid"
    " WHERE article_fts MATCH ?{where} ORDER BY rank LIMIT 20"
)
# date order without scoring: the page's ids by date, then snippets for those 20
_BY_DATE = (
    f"SELECT a.id, a.title, {_SNIPPET} FROM article_fts JOIN article a ON a.id = article_fts.rowid"
    " WHERE article_fts MATCH ?1 AND article_fts.rowid IN (SELECT b.id FROM article b"
    " WHERE b.id IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ?1)"
    " ORDER BY b.published DESC, b.id DESC LIMIT 20) ORDER BY a.published DESC, a.id DESC"
)
_COUNT = "SELECT count(*) FROM article_fts WHERE article_fts MATCH ?"
_FACETS = [
    "SELECT a.source, count(*) n FROM article_fts JOIN article a ON a.id = article_fts.rowid"
    " WHERE article_fts MATCH ? GROUP BY a.source ORDER BY n DESC LIMIT 10",
    "SELECT strftime('%Y-%m', a.published) m, count(*) n FROM article_fts"
    " JOIN article a ON a.id = article_fts.rowid WHERE article_fts MATCH ?"
    " GROUP BY m ORDER BY n DESC LIMIT 10",
    "SELECT m.entity_id, count(DISTINCT m.article_id) n FROM article_fts"
    " JOIN mention m ON m.article_id = article_fts.rowid WHERE article_fts MATCH ?"
    " GROUP BY m.entity_id ORDER BY n DESC LIMIT 10",
]


@dataclass(frozen=True)
class Case:
    """One request shape. ``floor`` runs in-process for the floor time; ``datasette_search``
    is the ``_search`` value when Datasette has an equivalent; ``hot`` cases get 256
    connections; ``big`` cases are measured on the 100k corpus too."""

    name: str
    path: str
    floor: tuple[Statement, ...] = ()
    datasette_search: str | None = None
    datasette_filter: str = ""
    datasette_row: int | None = None
    hot: bool = False
    big: bool = False


def _search(params: dict[str, str | list[str]]) -> str:
    return "/api/v1/search?" + urlencode(params, doseq=True, quote_via=quote)


def _ranked(match: str, where: str = "", *extra: object) -> Statement:
    return _RANKED.format(where=where), (match, *extra)


def build_cases(db: Path) -> list[Case]:
    """The cases, with the article and entity ids picked from the database at hand."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        total = conn.execute("SELECT count(*) FROM article").fetchone()[0]
        article_id = conn.execute(
            "SELECT id FROM article ORDER BY id LIMIT 1 OFFSET ?", (total // 2,)
        ).fetchone()[0]
        entity_id = conn.execute(
            "SELECT id FROM entity ORDER BY mention_count DESC, id LIMIT 1"
        ).fetchone()[0]
        story_id = conn.execute("SELECT id FROM story ORDER BY size DESC, id LIMIT 1").fetchone()[0]
        quotation_id = conn.execute(
            "SELECT id FROM quotation ORDER BY occurrences DESC, id LIMIT 1"
        ).fetchone()[0]
    facets = ["source", "published_month", "entity"]
    return [
        Case(
            "search common `year`",
            _search({"q": "year"}),
            (_ranked("year"),),
            "year",
            hot=True,
            big=True,
        ),
        Case(
            "search rare `melbourne`",
            _search({"q": "melbourne"}),
            (_ranked("melbourne"),),
            "melbourne",
            big=True,
        ),
        Case(
            'search phrase `"united states"`',
            _search({"q": '"united states"'}),
            (_ranked('"united states"'),),
            '"united states"',
            big=True,
        ),
        Case(
            "search prefix `init*`", _search({"q": "init*"}), (_ranked("init*"),), "init*", big=True
        ),
        Case(
            "search `year` + `source=BBC News`",
            _search({"q": "year", "source": "BBC News"}),
            (_ranked("year", " AND a.source = ?", "BBC News"),),
            "year",
            datasette_filter="&source=BBC+News",
            big=True,
        ),
        Case(
            "search `year` + 3 facets",
            _search({"q": "year", "facet": facets}),
            (_ranked("year"), (_COUNT, ("year",)), *((sql, ("year",)) for sql in _FACETS)),
            hot=True,
            big=True,
        ),
        Case(
            "search `year` sort=-published",
            _search({"q": "year", "sort": "-published"}),
            ((_BY_DATE, ("year",)),),
            big=True,
        ),
        Case(
            "article by id",
            f"/api/v1/articles/{article_id}",
            (("SELECT * FROM article WHERE id = ?", (article_id,)),),
            datasette_row=article_id,
            hot=True,
            big=True,
        ),
        Case(
            "quotes by speaker `Tony Blair`",
            "/api/v1/quotes?speaker=Tony%20Blair",
            (
                (
                    "SELECT q.*, a.title FROM quote q JOIN article a ON a.id = q.article_id"
                    " WHERE q.speaker = ? ORDER BY q.id LIMIT 20",
                    ("Tony Blair",),
                ),
                # the page's total: without it the floor is a 20-row index range
                ("SELECT count(*) FROM quote WHERE speaker = ?", ("Tony Blair",)),
            ),
            hot=True,
            big=True,
        ),
        Case(f"entity page (id {entity_id})", f"/api/v1/entities/{entity_id}"),
        Case(
            "entity autocomplete `tony bl`",
            "/api/v1/entities?q=tony%20bl",
            (
                (
                    "SELECT e.id, e.name FROM entity_fts JOIN entity e ON e.id = entity_fts.rowid"
                    " WHERE entity_fts MATCH ? ORDER BY e.mention_count DESC LIMIT 20",
                    ('"tony" "bl"*',),
                ),
            ),
        ),
        Case("entity list (PERSON)", "/api/v1/entities?type=PERSON", hot=True),
        # the corpus layer (issue 19): targets at 100k, p50 < 50 ms for a list's first page,
        # < 20 ms for one story or quotation, collapse within 1.5x of the same search
        Case(
            "search common `year` collapse=story",
            _search({"q": "year", "collapse": "story"}),
            big=True,
        ),
        Case(
            "stories first page",
            "/api/v1/stories",
            (
                (
                    "SELECT s.*, a.title FROM story s JOIN article a ON a.id = s.first_article_id"
                    " ORDER BY s.size DESC, s.id DESC LIMIT 20",
                    (),
                ),
                ("SELECT count(*) FROM story", ()),
            ),
            big=True,
        ),
        Case(f"story by id ({story_id})", f"/api/v1/stories/{story_id}", big=True),
        Case(
            "quotations first page",
            "/api/v1/quotations",
            (
                ("SELECT * FROM quotation ORDER BY occurrences DESC, id DESC LIMIT 20", ()),
                ("SELECT count(*) FROM quotation", ()),
            ),
            big=True,
        ),
        Case(f"quotation by id ({quotation_id})", f"/api/v1/quotations/{quotation_id}", big=True),
    ]


EXPORTS = [
    ("search `year` as NDJSON", "/api/v1/search?q=year&format=ndjson"),
    ("all quotes as CSV", "/api/v1/quotes?format=csv"),
]
