"""News pages: the main text and metadata of a page, by trafilatura (no navigation, banners,
scripts, related links or footers)."""

import re
from typing import Any

import trafilatura

_html_start_re = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
# a page whose main text is shorter than this has no article in it (a login wall, an index)
MIN_PAGE_TEXT = 40


def looks_like_html(text: str) -> bool:
    """Markup by content, whatever the file is called: a page saved as .txt is still a page."""
    return bool(_html_start_re.match(text[:4096]))


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
