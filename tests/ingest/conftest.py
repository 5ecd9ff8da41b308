"""Ingest fixtures: a blank English pipeline saved to disk (fast, loaded like any model), news
pages written here, and a real local HTTP server that serves them."""

import html
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import spacy


@pytest.fixture(scope="session")
def blank_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("models") / "blank_en"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(path)
    return str(path)


def page(title: str, paragraphs: list[str], *, author: str = "", published: str = "") -> str:
    """A news page as sites write them: navigation, a cookie banner, scripts, related links and
    a footer around the article, metadata in Open Graph, JSON-LD and <meta>."""
    ld = json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title}
        | ({"datePublished": published} if published else {})
        | ({"author": {"@type": "Person", "name": author}} if author else {})
    )
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | The Gazette</title>
<meta property="og:title" content="{html.escape(title)}">
{f'<meta name="author" content="{html.escape(author)}">' if author else ""}
<script type="application/ld+json">{ld}</script>
<script>var analytics = {{"id": "UA-1"}};</script></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li></ul></nav></header>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<main><article><h1>{html.escape(title)}</h1>
{f'<time datetime="{published}">{published}</time>' if published else ""}
{body}</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Council approves new budget after long debate</a></li>
<li><a href="/b">Weather warning issued for the weekend</a></li></ul></aside></main>
<footer><p>&copy; 2024 The Gazette. All rights reserved.</p>
<a href="/privacy">Privacy policy</a></footer></body></html>
"""


Route = tuple[int, str, bytes]  # status, content type, body


class FixtureServer:
    """A real HTTP server on 127.0.0.1 serving pages the tests write, plus misbehaving routes:
    /slow (answers after 3 s), /huge (50 MB), /flaky (500 once, then its page), /wait…
    (0.2 s late)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.user_agents: list[str] = []
        self.hits: dict[str, int] = {}
        self.active = 0
        self.max_active = 0
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.user_agents.append(self.headers.get("User-Agent", ""))
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.path == "/slow":
                    time.sleep(3)
                if self.path.startswith("/wait"):
                    # counted until the answer starts: the client cannot have sent its next
                    # request on this connection before then
                    with lock:
                        server.active += 1
                        server.max_active = max(server.max_active, server.active)
                    time.sleep(0.2)
                    with lock:
                        server.active -= 1
                if self.path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65_000 + b"</p>"
                    try:
                        for _ in range(800):  # 50 MB, unless the client hangs up first
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                if self.path == "/loop":  # redirects to itself, for ever
                    self.send_response(302)
                    self.send_header("Location", "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/badgzip":  # says gzip, is not
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", "16")
                    self.end_headers()
                    self.wfile.write(b"not gzip at all!")
                    return
                if self.path == "/flaky" and server.hits[self.path] == 1:
                    self.send_response(500)
                    self.end_headers()
                    return
                status, content_type, body = server.routes.get(
                    self.path, (404, "text/plain", b"not found")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
        self.routes[path] = (200, content_type, body.encode())
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    fixture = FixtureServer()
    yield fixture
    fixture.close()
