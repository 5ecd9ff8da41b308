"""Web sources against a real local HTTP server: pages, feeds and URLs, and every way a fetch
can fail (timeout, 404, 50 MB, a 500 that a retry gets past), each reported by URL."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import app
from app.config import FetchSettings, get_settings
from app.engines.connect import create_db_engine
from app.ingest.read import Web, iter_documents, iter_urls
from app.ingest.record import RawArticle, RecordError
from app.ingest.run import ingest
from tests.ingest.conftest import FixtureServer, page

STORY = [
    "Fishermen at Kelby say the new harbour wall will protect the fleet & the town's boats.",
    '"We have waited twenty years for this," said Ana Ruiz, who chairs the harbour board.',
    "Work on the 40-metre extension is due to finish before the winter storms arrive.",
]
FAST = FetchSettings(timeout_s=1.0, retries=1, backoff_s=0.01, max_bytes=1_000_000, concurrency=2)


def read(path: Path, web: Web | None = None) -> list[RawArticle | RecordError]:
    return list(iter_documents(path, path.parent, web))


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


class TestPages:
    def test_main_text_and_metadata(self, tmp_path: Path) -> None:
        path = tmp_path / "kelby.html"
        html = page("Harbour wall plan approved", STORY, author="Kim Lee", published="2024-05-06")
        path.write_text(html, encoding="utf-8")
        [doc] = read(path)
        assert isinstance(doc, RawArticle)
        assert (doc.title, doc.author, str(doc.published)) == (
            "Harbour wall plan approved",
            "Kim Lee",
            "2024-05-06",
        )
        assert doc.body == "\n\n".join(STORY)  # entities decoded, paragraphs kept apart
        for boilerplate in ("Home", "cookies", "Related", "Council approves", "rights", "UA-1"):
            assert boilerplate not in doc.body

    def test_no_date_is_guessed_from_the_copyright_line(self, tmp_path: Path) -> None:
        path = tmp_path / "undated.html"
        path.write_text(page("Harbour wall plan approved", STORY), encoding="utf-8")
        [doc] = read(path)
        assert isinstance(doc, RawArticle) and doc.published is None  # the footer says © 2024

    def test_a_page_without_an_article(self, tmp_path: Path) -> None:
        path = tmp_path / "index.htm"
        path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8")
        [error] = read(path)
        assert isinstance(error, RecordError)
        assert error.reason == "no article text found in the page"


def rss(base: str, items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Gazette</title><link>{base}/</link>{items}</channel></rss>"
    )


class TestFeeds:
    def test_full_content_summary_only_and_broken_items(
        self, tmp_path: Path, server: FixtureServer
    ) -> None:
        linked = server.add("/story-2", page("Ferry returns", STORY, published="2024-05-07"))
        items = (
            "<item><title>Wall approved</title><link>https://gazette.example/1</link>"
            "<pubDate>Mon, 06 May 2024 09:00:00 GMT</pubDate><content:encoded><![CDATA["
            + "".join(f"<p>{p.replace('&', '&amp;')}</p>" for p in STORY)
            + "]]></content:encoded></item>"
            f"<item><title>Ferry returns</title><link>{linked}</link>"
            "<description>Short summary only.</description></item>"
            "<item><title>No link, no text</title></item>"
            f"<item><title>Gone</title><link>{server.base}/gone</link>"
            "<description>Summary.</description></item>"
        )
        path = tmp_path / "gazette.rss"
        path.write_text(rss(server.base, items), encoding="utf-8")
        records = read(path, Web(FAST))
        good = {r.line: r for r in records if isinstance(r, RawArticle)}
        bad = {r.line: r.reason for r in records if isinstance(r, RecordError)}
        assert good[1].body == "\n\n".join(STORY) and str(good[1].published) == "2024-05-06"
        assert good[1].source_id == "https://gazette.example/1" and good[1].source == "Gazette"
        assert good[2].body == "\n\n".join(STORY) and good[2].title == "Ferry returns"
        assert bad == {
            3: "feed item has no content and no link",
            4: f"item page {server.base}/gone: HTTP 404 Not Found",
        }

    def test_atom(self, tmp_path: Path) -> None:
        path = tmp_path / "feed.atom"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Wire</title><entry><id>urn:wire:1</id><title>Storm</title>"
            "<updated>2024-01-02T03:04:05Z</updated>"
            '<content type="html">&lt;p&gt;A storm closed the coast road on Tuesday.&lt;/p&gt;'
            "</content></entry></feed>",
            encoding="utf-8",
        )
        [doc] = read(path)
        assert isinstance(doc, RawArticle)
        assert (doc.source_id, doc.title, str(doc.published)) == (
            "urn:wire:1",
            "Storm",
            "2024-01-02",
        )
        assert doc.body == "A storm closed the coast road on Tuesday."

    def test_not_a_feed(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.xml"
        path.write_text("<notes><note>hello</note></notes>", encoding="utf-8")
        [error] = read(path)
        assert isinstance(error, RecordError) and error.reason.startswith("not an RSS or Atom feed")


class TestUrls:
    def test_every_failure_is_reported_by_url(self, server: FixtureServer) -> None:
        good = server.add("/kelby", page("Harbour wall plan approved", STORY))
        server.add("/flaky", page("Ferry returns", STORY[:2]))
        urls = [good, f"{server.base}/missing", f"{server.base}/slow", f"{server.base}/huge"]
        urls.append(f"{server.base}/flaky")
        settings = FetchSettings(
            timeout_s=0.5, retries=1, backoff_s=0.01, max_bytes=1_000_000, concurrency=2
        )
        web = Web(settings)
        try:
            records = {r.path: r for r in iter_urls(urls, web)}
        finally:
            web.close()
        assert isinstance(records[good], RawArticle)
        assert records[good].title == "Harbour wall plan approved"  # type: ignore[union-attr]
        reasons = {url: r.reason for url, r in records.items() if isinstance(r, RecordError)}
        assert reasons == {
            f"{server.base}/missing": "HTTP 404 Not Found",
            f"{server.base}/slow": "timed out after 0.5 s (after 2 attempts)",
            f"{server.base}/huge": "too large: over 1000000 bytes",
        }
        assert isinstance(records[f"{server.base}/flaky"], RawArticle)
        assert server.hits["/flaky"] == 2  # the 500 was retried
        assert set(server.user_agents) == {settings.user_agent}

    def test_redirect_loops_and_broken_bodies_fail_alone(
        self, server: FixtureServer, engine: Engine, blank_model: str
    ) -> None:
        """Issue 18: a URL redirecting to itself or answering a broken gzip body is reported by
        URL, and the good URLs beside it are stored."""
        good = server.add("/kelby", page("Harbour wall plan approved", STORY))
        urls = [f"{server.base}/loop", good, f"{server.base}/badgzip"]
        report = ingest(urls, engine=engine, model=blank_model, web=Web(FAST))
        reasons = sorted(str(e) for e in report.errors)
        assert report.added == 1 and report.failed == 2, reasons
        assert reasons[0].startswith(f"{server.base}/badgzip: DecodingError: ")
        assert reasons[1].startswith(f"{server.base}/loop: too many redirects: ")

    def test_concurrency_is_bounded(self, server: FixtureServer) -> None:
        urls = [server.add(f"/wait{n}", page(f"Story {n}", STORY)) for n in range(8)]
        web = Web(FAST)
        try:
            records = list(iter_urls(urls, web))
        finally:
            web.close()
        assert [r.path for r in records] == urls  # in input order
        assert all(isinstance(r, RawArticle) for r in records)
        assert 1 <= server.max_active <= FAST.concurrency

    def test_cli_with_a_url_list(
        self,
        server: FixtureServer,
        tmp_path: Path,
        db_url: str,
        blank_model: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("CORPUS_DATABASE_URL", db_url)
        monkeypatch.setenv("CORPUS_SPACY_MODEL", blank_model)
        monkeypatch.setenv("CORPUS_FETCH_RETRIES", "0")
        get_settings.cache_clear()
        good = server.add("/kelby", page("Harbour wall plan approved", STORY))
        url_list = tmp_path / "urls.txt"
        url_list.write_text(f"# to fetch\n{good}\n\n{server.base}/missing\n", encoding="utf-8")
        try:
            result = CliRunner().invoke(app, ["ingest", "--urls", str(url_list)])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 1, result.output
        assert f"failed: {server.base}/missing: HTTP 404 Not Found" in result.output
        assert "2 seen: 1 added" in result.output
        path = db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT source_id, url FROM article").fetchall() == [(good, good)]


def test_a_url_is_ingested_like_a_file(
    server: FixtureServer, engine: Engine, blank_model: str
) -> None:
    url = server.add("/kelby", page("Harbour wall plan approved", STORY))
    report = ingest([url], engine=engine, model=blank_model, web=Web(FAST))
    again = ingest([url], engine=engine, model=blank_model, web=Web(FAST))
    assert (report.added, again.unchanged) == (1, 1)
    assert json.dumps(report.errors) == "[]"


def test_the_declared_charset_is_used(server: FixtureServer) -> None:
    """Mostly-ASCII bytes would be read as Windows-1252; the server says ISO-8859-7 (Greek)."""
    text = "The ferry from Piraeus reached Αθήνα late on Monday, the port authority said."
    html = page("Ferry delayed", [text, "Passengers waited for six hours in the rain at the pier."])
    server.routes["/gr"] = (200, "text/html; charset=iso-8859-7", html.encode("iso-8859-7"))
    web = Web(FAST)
    try:
        [doc] = list(iter_urls([f"{server.base}/gr"], web))
    finally:
        web.close()
    assert isinstance(doc, RawArticle) and doc.body.startswith(text)
