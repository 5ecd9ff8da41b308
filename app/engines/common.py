"""What both engines share: the filters of a search, and snippets and match offsets made from
text whose matches the engine has marked (FTS5's highlight(), PostgreSQL's ts_headline)."""

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

# markers that cannot occur in text, replaced by <mark> after HTML-escaping
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class ArticleFilters:
    """Conditions that narrow a search, all combined with AND."""

    source: str | None = None
    author: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    entity_ids: tuple[int, ...] = ()
    all_entities: bool = False  # every one of entity_ids, rather than any
    speaker_entity_id: int | None = None
    speaker: str | None = None
    has_quotes: bool | None = None


@dataclass(frozen=True)
class Highlight:
    """Markers put around matches in snippets (after HTML-escaping the text)."""

    start: str = "<mark>"
    end: str = "</mark>"


def hit(row: Any, highlight: Highlight) -> dict[str, Any]:
    """A search hit from a row with ``marked_title`` and ``marked_body``: its other columns,
    a snippet and the match offsets in the unmarked body."""
    marks = find_marks(row["marked_body"])
    return {
        **{k: v for k, v in row.items() if not k.startswith("marked_")},
        "snippet": highlighted(snippet(row["marked_body"], marks, row["marked_title"]), highlight),
        "matches": [
            # each marker before a match moves it by one character
            {"start": start - 2 * n, "end": end - 2 * n - 1}
            for n, (start, end) in enumerate(marks)
        ],
    }


def highlighted(marked: str, highlight: Highlight) -> str:
    escaped = html.escape(marked, quote=False)
    return escaped.replace(MARK_OPEN, highlight.start).replace(MARK_CLOSE, highlight.end)


def find_marks(marked: str) -> list[tuple[int, int]]:
    """Where the markers are: (open, close) positions in the marked text, found by jumping from
    marker to marker rather than reading every character."""
    marks = []
    position = marked.find(MARK_OPEN)
    while position != -1:
        end = marked.find(MARK_CLOSE, position)
        marks.append((position, end))
        position = marked.find(MARK_OPEN, end)
    return marks


# about the 24 words FTS5's snippet() shows; made here from the marked body, as FTS5 would
# tokenize the whole body a second time to make its own
_SNIPPET_CHARS = 160
_SNIPPET_LEAD = 40


def snippet(marked_body: str, marks: list[tuple[int, int]], marked_title: str) -> str:
    """A fragment of the body around its densest run of matches, or the title when only the
    title matches; cut at spaces, with '…' where text was left out."""
    if not marks:
        return marked_title
    opens = [start for start, _ in marks]
    best, best_count, last = 0, 0, 0
    for first, start in enumerate(opens):  # the window starting at each match, two pointers
        while last < len(opens) and opens[last] < start + _SNIPPET_CHARS:
            last += 1
        if last - first > best_count:
            best, best_count = first, last - first
    begin = max(0, opens[best] - _SNIPPET_LEAD)
    if begin:
        space = marked_body.find(" ", begin, opens[best])
        begin = space + 1 if space != -1 else opens[best]
    end = begin + _SNIPPET_CHARS
    inside = [close for start, close in marks if start < end <= close]
    end = max([end, *(close + 1 for close in inside)])
    space = marked_body.find(" ", end)
    end = len(marked_body) if space == -1 else space
    fragment = marked_body[begin:end].strip()
    return ("…" if begin else "") + fragment + ("…" if end < len(marked_body) else "")


def bounded_count(matches: str, up_to: int | None) -> tuple[str, dict[str, Any]]:
    """A statement counting the rows of ``matches`` (a SELECT) and its extra parameters: all of
    them, or with ``up_to`` no more than one past it, so that a client can be told the total is
    a lower bound without the database visiting every match (Elasticsearch's
    ``track_total_hits``)."""
    if up_to is None:
        return f"SELECT count(*) FROM ({matches}) AS counted", {}
    return f"SELECT count(*) FROM ({matches} LIMIT :count_limit) AS counted", {
        "count_limit": up_to + 1
    }


def bounded_total(
    count_rows: Callable[[str, dict[str, Any]], int],
    matches: str,
    params: dict[str, Any],
    *,
    count_up_to: int | None,
    index: "SearchIndex | None",
    filters: ArticleFilters,
) -> int:
    """The rows of ``matches`` counted up to one past ``count_up_to`` by the engine
    (``count_rows`` runs a statement), unless the index beside the database says they are far
    past it (``known_past_bound``)."""
    if count_up_to is not None and known_past_bound(index, filters, count_up_to):
        return count_up_to + 1
    count, bound = bounded_count(matches, count_up_to)
    return count_rows(count, {**params, **bound})


def sampled_facets(total: int, sample: int | None) -> bool:
    """Are the facets of a search with ``total`` matches counted over a sample of ``sample``
    matches (the ones added last), not all of them? Past the sample's size, when one is
    asked for: the same rule on every engine, so the API can say so."""
    return sample is not None and total > sample


# a page ranked by the index beside the database (app.search.ranker) only past this many
# matches: below it the engine's own exact ranking is quick
RANKER_FROM_MATCHES = 2000
# how deep to read the index's candidates when filters may drop some
_FILTERED_DEPTH = (10, 200, 2000)  # times the page's end, at least, at most


@dataclass(frozen=True)
class SearchIndex:
    """The index beside the database (``app.search.ranker``), asked about one query: ``top(n)``
    gives its ``n`` best (article id, score), ``count()`` how many articles it holds that
    match, ``newest(n)`` the ``n`` highest ids among them; each None when it cannot say."""

    top: Callable[[int], list[tuple[int, float]] | None]
    count: Callable[[], int | None]
    newest: Callable[[int], list[int] | None]


def known_past_bound(
    index: SearchIndex | None, filters: ArticleFilters, count_up_to: int | None
) -> bool:
    """Does the index say the matches are far past the count's bound, so that the engine need
    not count them (a bounded count on PostgreSQL still builds the GIN bitmap of every match:
    `year` at a million, 350-600 ms)? Only without filters, which the index does not hold, and
    only at twice the bound: its stemmer and the engine's may differ on a few articles."""
    if index is None or count_up_to is None or filters != ArticleFilters():
        return False
    found = index.count()
    return found is not None and found >= 2 * count_up_to


def candidate_page(
    index: SearchIndex | None,
    passing: Callable[[list[int]], set[int]],
    *,
    filters: ArticleFilters,
    limit: int,
    offset: int,
    total: int,
) -> dict[int, float | None] | None:
    """A relevance page (article id → score) from the index's best candidates that still
    exist and pass the filters (``passing``), or None when there is no index, the search is
    small enough for the engine's exact ranking, or the candidates cannot fill the page: the
    engine ranks then."""
    if index is None or total <= RANKER_FROM_MATCHES:
        return None
    wanted = offset + limit
    times, least, most = _FILTERED_DEPTH
    depth = min(max(times * wanted, least), most) if filters != ArticleFilters() else wanted
    if depth < wanted:
        return None
    ranked = index.top(depth)
    if ranked is None:
        return None
    kept = passing([article_id for article_id, _ in ranked]) if ranked else set()
    ordered = [(article_id, score) for article_id, score in ranked if article_id in kept]
    if len(ordered) < min(wanted, total):
        return None
    return dict(ordered[offset:wanted])
