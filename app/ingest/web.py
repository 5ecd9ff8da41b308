"""Web sources: the main text and metadata of a news page (trafilatura), feed items (feedparser),
and fetching URLs with httpx: timeouts, retries with backoff, a size cap, a named User-Agent and
a bounded number of requests in flight."""

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import feedparser
import httpx
import trafilatura

from app.ingest.textio import BinaryContent, decode

logger = logging.getLogger(__name__)

_html_start_re = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_feed_start_re = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
# HTML tags in a feed item's summary or content, for the text fallback
_tag_re = re.compile(r"<[^>]+>")
# a page whose main text is shorter than this has no article in it (a login wall, an index)
MIN_PAGE_TEXT = 40


def looks_like_html(text: str) -> bool:
    """Markup by content, whatever the file is called: a page saved as .txt is still a page."""
    return bool(_html_start_re.match(text[:4096]))


def looks_like_feed(text: str) -> bool:
    return bool(_feed_start_re.match(text[:4096]))


def extract_page(html: str, url: str | None = None) -> dict[str, Any] | None:
    """The article in a page as record fields (``body``, ``title``, ``author``, ``published``,
    ``url``), or None when the page holds no article text.

    trafilatura keeps the main text without navigation, banners, scripts, related links and
    footers, and reads the metadata from Open Graph, JSON-LD, ``<time>`` and ``<meta>``:
    https://trafilatura.readthedocs.io/en/latest/corefunctions.html#bare-extraction"""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        deduplicate=False,
        # dates from the page's markup only: the extensive search guesses from any text and
        # took a footer's "© 2024" for the publication date (2024-01-01) in our fixtures
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = data.get("text") or ""
    title = (data.get("title") or "").strip() or None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and title and lines[0] == title:
        lines = lines[1:]  # the headline repeated as the first block
    body = "\n\n".join(lines)
    if len(body) < MIN_PAGE_TEXT:
        return None
    return {
        "body": body,
        "title": title,
        "author": data.get("author") or None,
        "published": data.get("date") or None,
        "url": data.get("url") or url,
        "source": data.get("sitename") or None,
    }


@dataclass(frozen=True)
class FeedItem:
    number: int  # 1-based position in the feed
    fields: dict[str, Any]  # record fields; without "body" when the page must be fetched
    link: str | None


def parse_feed(data: bytes) -> tuple[list[FeedItem], str | None]:
    """The feed's items, and an error when the document is not a feed at all. Bytes, never a
    string: feedparser treats a string as a URL or a file name to open."""
    parsed = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        return [], f"not an RSS or Atom feed{f' ({reason})' if reason else ''}"
    items = []
    for number, entry in enumerate(parsed.entries, start=1):
        fields: dict[str, Any] = {
            "id": entry.get("id") or entry.get("link"),
            "title": entry.get("title"),
            "url": entry.get("link"),
            "author": entry.get("author"),
            "published": _feed_date(entry),
            "source": parsed.feed.get("title"),
        }
        content = entry.get("content")
        if content:  # the full text is in the feed (RSS content:encoded, Atom content)
            html = "".join(part.get("value", "") for part in content)
            fields["body"] = _html_fragment_text(html)
        items.append(FeedItem(number, fields, entry.get("link")))
    return items, None


def _feed_date(entry: Any) -> str | None:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    if not moment:
        return None
    return date(*moment[:3]).isoformat()


def _html_fragment_text(html: str) -> str:
    """Text of a feed's HTML content: paragraphs kept apart, tags dropped, entities decoded."""
    page = f"<html><body><article>{html}</article></body></html>"
    extracted = trafilatura.extract(page, include_comments=False, include_tables=False)
    if extracted:
        return "\n\n".join(line.strip() for line in extracted.split("\n") if line.strip())
    return _tag_re.sub(" ", html)


# ---------------------------------------------------------------- fetching


class FetchError(Exception):
    """A URL that could not be fetched; the message says why."""


@dataclass(frozen=True)
class FetchSettings:
    timeout_s: float = 10.0
    retries: int = 2  # further attempts after the first, for timeouts, 429 and 5xx
    backoff_s: float = 0.5  # doubled on each retry
    max_bytes: int = 10 * 1024 * 1024
    concurrency: int = 4
    user_agent: str = "news-corpus/0.1 (+https://github.com/news-corpus)"


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    content_type: str
    text: str


def fetch(client: httpx.Client, url: str, settings: FetchSettings) -> Fetched:
    """GET ``url``: retried with exponential backoff on timeouts, connection errors, 429 and
    5xx; refused past ``max_bytes`` (read as a stream, so a huge answer is never held)."""
    attempt = 0
    while True:
        try:
            return _fetch_once(client, url, settings)
        except _Retryable as exc:
            if attempt >= settings.retries:
                raise FetchError(f"{exc} (after {attempt + 1} attempts)") from None
            time.sleep(settings.backoff_s * 2**attempt)
            attempt += 1


class _Retryable(Exception):
    pass


def _fetch_once(client: httpx.Client, url: str, settings: FetchSettings) -> Fetched:
    try:
        with client.stream("GET", url) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retryable(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                raise FetchError(f"too large: {declared} bytes (the cap is {settings.max_bytes})")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > settings.max_bytes:
                    raise FetchError(f"too large: over {settings.max_bytes} bytes")
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "")
            final_url = str(response.url)
            declared_charset = response.charset_encoding
    except httpx.TimeoutException:
        raise _Retryable(f"timed out after {settings.timeout_s:g} s") from None
    except httpx.TransportError as exc:
        raise _Retryable(f"connection failed: {exc}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    data = b"".join(chunks)
    try:
        text = _decode_declared(data, declared_charset) or decode(data)
    except BinaryContent as exc:
        raise FetchError(str(exc)) from None
    return Fetched(url, final_url, content_type, text)


def _decode_declared(data: bytes, charset: str | None) -> str | None:
    """Text in the charset the server declared (``Content-Type: …; charset=…``), unless the
    bytes start with a BOM, which wins: https://encoding.spec.whatwg.org/#decode"""
    if not charset or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an encoding name Python does not know
        return None


def make_client(settings: FetchSettings) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout_s),
        headers={"User-Agent": settings.user_agent},
        follow_redirects=True,
        limits=httpx.Limits(max_connections=settings.concurrency),
    )


def fetch_all(
    urls: Iterable[str], settings: FetchSettings, client: httpx.Client
) -> Iterator[tuple[str, Fetched | FetchError]]:
    """Fetch ``urls`` with at most ``concurrency`` in flight, yielding in input order; a URL
    that fails yields its error and the others go on."""

    def one(url: str) -> Fetched | FetchError:
        try:
            return fetch(client, url, settings)
        except FetchError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        pending: deque[tuple[str, Future[Fetched | FetchError]]] = deque()
        for url in urls:
            pending.append((url, pool.submit(one, url)))
            # a window of 2× the workers keeps them busy without queueing the whole list
            if len(pending) >= 2 * settings.concurrency:
                done_url, future = pending.popleft()
                yield done_url, future.result()
        while pending:
            done_url, future = pending.popleft()
            yield done_url, future.result()


Fetcher = Callable[[Iterable[str]], Iterator[tuple[str, Fetched | FetchError]]]
