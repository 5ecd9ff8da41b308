"""From a source's fields to a ``RawArticle``: validated, named, and read as a page when the
body is a whole HTML page (a scraper's export); the same for every file format, URL and the write
API."""

from collections.abc import Iterator
from typing import Any

from app.ingest.read.feeds import parse_feed
from app.ingest.read.fetch import FetchError, Web, is_url
from app.ingest.read.pages import extract_page, looks_like_html
from app.ingest.record import ArticleRecord, RawArticle, ReadResult, RecordError, validate_record


def from_mapping(path: str, line: int, record: Any, default_id: str) -> ReadResult:
    try:
        valid = validate_record(record)
    except RecordError as exc:
        return exc.at(path, line)
    return raw_article(valid, path, line, default_id)


def raw_article(valid: ArticleRecord, path: str, line: int, default_id: str) -> ReadResult:
    """The article of a validated record, from any input (a file's line, an API request). The
    record names it (its id, else its url, else ``default_id``), never a page in its body:
    pages of one site can share a canonical URL."""
    source_id = valid.id or valid.url or default_id
    if looks_like_html(valid.body):
        # a whole page in a record's body (a scraper's export): its article, not its markup;
        # the record's own fields win over what the page says about itself
        try:
            page = extract_page(valid.body, valid.url)
        except Exception as exc:  # lxml and the extractor raise many types on broken markup
            return RecordError(f"unreadable HTML in the body: {exc}", path=path, line=line)
        if page is None:
            return RecordError(
                "the body is an HTML page with no article text", path=path, line=line
            )
        fields = {k: v for k, v in valid.model_dump().items() if v is not None}
        try:
            valid = validate_record({**page, **fields, "body": page["body"]})
        except RecordError as exc:
            return RecordError(f"in the page: {exc}", path=path, line=line)
    return RawArticle(
        path=path,
        line=line,
        source_id=source_id,
        title=valid.title,
        body=valid.body,
        published=valid.published,
        source=valid.source,
        url=valid.url,
        author=valid.author,
    )


def page_record(where: str, line: int, html: str, url: str | None, default_id: str) -> ReadResult:
    try:
        fields = extract_page(html, url)
    except Exception as exc:  # lxml and the extractor raise many types on broken markup
        return RecordError(f"unreadable HTML: {type(exc).__name__}: {exc}", path=where, line=line)
    if fields is None:
        return RecordError("no article text found in the page", path=where, line=line)
    return from_mapping(where, line, fields, default_id)


def feed_records(where: str, data: bytes, web: Web) -> Iterator[ReadResult]:
    """Each item of a feed; an item with only a summary is completed from its own page."""
    items, error = parse_feed(data)
    if error:
        yield RecordError(error, path=where)
        return
    to_fetch = []
    for item in items:
        if "body" in item.fields:
            yield from_mapping(where, item.number, item.fields, f"{where}#{item.number}")
        elif item.link and is_url(item.link):
            to_fetch.append(item)
        else:
            yield RecordError("feed item has no content and no link", path=where, line=item.number)
    by_link = {item.link: item for item in to_fetch}
    for link, result in web.fetch_all(item.link for item in to_fetch if item.link):
        item = by_link[link]
        if isinstance(result, FetchError):
            yield RecordError(f"item page {link}: {result}", path=where, line=item.number)
            continue
        try:
            page = extract_page(result.text, result.final_url)
        except Exception as exc:  # lxml and the extractor raise many types on broken markup
            yield RecordError(
                f"item page {link}: unreadable HTML: {exc}", path=where, line=item.number
            )
            continue
        if page is None:
            yield RecordError(
                f"item page {link}: no article text found", path=where, line=item.number
            )
            continue
        # the feed's own metadata wins over what the page says about itself
        fields = {**page, **{k: v for k, v in item.fields.items() if v}}
        yield from_mapping(where, item.number, fields, link)
