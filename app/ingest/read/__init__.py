"""The read stage: files, folders and URLs in, ``RawArticle`` records or ``RecordError``s out,
one reader per format (``files.py``), pages (``pages.py``), feeds (``feeds.py``) and fetching
(``fetch.py``); ``mapping.py`` turns a source's fields into a record the same way for all."""

from collections.abc import Iterable, Iterator
from pathlib import Path

from app.ingest.read.feeds import looks_like_feed
from app.ingest.read.fetch import FetchError, Web, is_url
from app.ingest.read.files import (
    count_documents,
    iter_documents,
    iter_files,
    read_url_list,
)
from app.ingest.read.mapping import feed_records, page_record, raw_article
from app.ingest.record import ReadResult, RecordError

__all__ = [
    "Web",
    "count_documents",
    "is_url",
    "iter_documents",
    "iter_files",
    "iter_records",
    "iter_urls",
    "raw_article",
    "read_url_list",
]


def iter_records(inputs: Iterable[Path | str], web: Web) -> Iterator[ReadResult]:
    """Records from files and folders, then from URLs (``https://…`` strings)."""
    paths = [Path(i) for i in inputs if not (isinstance(i, str) and is_url(i))]
    urls = [i for i in inputs if isinstance(i, str) and is_url(i)]
    for path, root in iter_files(paths):
        yield from iter_documents(path, root, web)
    yield from iter_urls(urls, web)


def iter_urls(urls: Iterable[str], web: Web) -> Iterator[ReadResult]:
    """Fetch each URL (a page or a feed) and extract its articles; a failure is reported by URL."""
    for url, result in web.fetch_all(urls):
        if isinstance(result, FetchError):
            yield RecordError(str(result), path=url)
        elif (
            looks_like_feed(result.text)
            or "xml" in result.content_type
            and "html" not in (result.content_type)
        ):
            yield from feed_records(url, result.text.encode(), web)
        else:
            yield page_record(url, 1, result.text, result.final_url, default_id=result.final_url)
