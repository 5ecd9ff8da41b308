"""Fetching URLs with httpx: timeouts, retries with backoff, a size cap, a named User-Agent and a
bounded number of requests in flight; a failure is a ``FetchError`` for its URL alone."""

import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from app.config import FetchSettings
from app.ingest.read.textio import BinaryContent, decode


class FetchError(Exception):
    """A URL that could not be fetched; the message says why."""


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
    except httpx.TooManyRedirects as exc:  # a page that redirects to itself, or a long chain
        raise FetchError(f"too many redirects: {exc}") from None
    except httpx.HTTPError as exc:  # a broken gzip body (DecodingError), a bad protocol reply
        raise FetchError(f"{type(exc).__name__}: {exc}") from None
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
        except Exception as exc:  # whatever one URL does, it fails alone, reported by its URL
            return FetchError(f"{type(exc).__name__}: {exc}")

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


class Web:
    """The HTTP client for URLs and for feed items that need their page, made on first use."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._client: httpx.Client | None = None

    def fetch_all(self, urls: Iterable[str]) -> Iterator[tuple[str, Fetched | FetchError]]:
        if self._client is None:
            self._client = make_client(self.settings)
        return fetch_all(urls, self.settings, self._client)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))
