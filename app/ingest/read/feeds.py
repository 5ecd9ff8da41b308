"""RSS and Atom feeds (feedparser): each item as record fields, or only its link when the feed
carries a summary and the text must come from the item's page."""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import feedparser
import trafilatura

_feed_start_re = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
# HTML tags in a feed item's summary or content, for the text fallback
_tag_re = re.compile(r"<[^>]+>")


def looks_like_feed(text: str) -> bool:
    return bool(_feed_start_re.match(text[:4096]))


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
