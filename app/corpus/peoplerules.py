"""The rules of one person, one entity across the corpus (issue 20), as data: what a surname
is, which full names are variants of one another, and how much evidence a bare surname needs
to join a full name (``app.corpus.people`` applies them)."""

import math
from dataclasses import dataclass

from app.db.folding import folded

# generational suffixes are not surnames: "Martin Luther King Jr" is a King
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "junior", "senior"})


def name_words(name: str) -> list[str]:
    """A person's name as folded words, without dots and suffixes ("George W. Bush" →
    george, w, bush)."""
    words = [w.strip(".,") for w in (folded(name) or "").split()]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return [w for w in words if w]


def _suffix(name: str) -> str | None:
    last = (folded(name) or "").split()[-1:]
    return last[0].strip(".,") if last and last[0] in _SUFFIXES else None


def surname_key(name: str, label: str) -> str | None:
    """The key a bare surname and the full names it may stand for share: a person's folded
    last name; None for other types and for names without a letter."""
    if label != "PERSON":
        return None
    words = name_words(name)
    if not words or not any(c.isalpha() for c in words[-1]):
        return None
    return words[-1]


def is_bare(name: str) -> bool:
    """A surname alone, capitalised as a name is ("the bush" is not Bush)."""
    return len(name_words(name)) == 1 and name[:1].isupper()


def variants(a: str, b: str) -> bool:
    """Two full names of one person as written differently: the same first and last name, the
    same middle names or initials ("George W. Bush", "George W Bush", "George Walker Bush"),
    and the same suffix or none ("Hank Williams" is not Hank Williams Jr.). A name without
    the middle one is not a variant: "John
    Kennedy" is not John F. Kennedy, "George Bush" may be either Bush."""
    x, y = name_words(a), name_words(b)
    if len(x) < 2 or len(y) < 2 or x[0] != y[0] or x[-1] != y[-1]:
        return False
    sa, sb = _suffix(a), _suffix(b)
    if (sa or "").rstrip(".") != (sb or "").rstrip("."):
        return False
    mx, my = x[1:-1], y[1:-1]
    if len(mx) != len(my):
        return False
    return all(
        p == q or (len(p) == 1 or len(q) == 1) and p[0] == q[0] for p, q in zip(mx, my, strict=True)
    )


def shortens(a: str, b: str) -> bool:
    """Whether full name ``a`` is ``b`` without its middle names ("George Bush" of "George W.
    Bush"): not a variant, since it may be another of the family, but no candidate of its own
    for a bare surname either, which would split the evidence of the longer name."""
    x, y = name_words(a), name_words(b)
    return (
        len(x) == 2 and len(y) > 2 and x[0] == y[0] and x[-1] == y[-1] and _suffix(a) == _suffix(b)
    )


def canonical_order(name: str, entity_id: int) -> tuple[int, int]:
    """Which variant names the group (the smallest key): the most words, then the first
    stored (so that the group's entity stays when another spelling arrives)."""
    return (-len(name_words(name)), entity_id)


# --- evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What ties one article's bare surname to one full-name candidate."""

    story: bool  # an article of the same story names the candidate in full
    period: bool  # an article of the same source within PERIOD_DAYS names them
    shared: float  # the information (sum of log(N/df)) of the entities both are mentioned with
    articles: int  # articles that name the candidate


PERIOD_DAYS = 14
# co-mentioned entities worth this much information make a link (about two entities that
# each appear in one article in 20, or one rarer one)
STRONG_SHARED = 5.0
# a sole candidate needs more (a judged sample of merges on 2.0 was 0.73 right: "Price"
# of a report title, "Williams" of Tennessee Williams joined the corpus's only full name; on
# the shared corpus the sole-candidate merges below 7.5 included "Mrs Wilkinson" of Billy
# Elliot (6.1) joining Jonny Wilkinson and "Mr Benn" the cartoon (7.3) Hilary Benn)
SOLE_SHARED = 7.5
# among several candidates the best must have this many times the runner-up's information
MARGIN = 2.0


# a co-mentioned entity named in more than one article in 33 (a country, the BBC, London) ties
# nothing: many of them added up made "Harris" of a BBC comedy article Kamala Harris's
MIN_INFORMATION = math.log(33)


def information(articles_total: int, article_count: int) -> float:
    return math.log(max(articles_total, 2) / max(article_count, 1))


# a surname only in a line-up ("Brown, Ferdinand, Heinze") may be any player or anyone of the
# name: only the team-mates it is listed with, named beside the sole candidate (of its initial)
# elsewhere, make the link
LIST_SHARED = 12.0


def choose(
    evidence: dict[int, Evidence], *, listed: bool = False, initialled: bool = False
) -> int | None:
    """The candidate a bare surname joins, or None. A sole candidate needs one tie (a story,
    the same source and period, an informative co-mentioned entity); among several, one must
    have a story or period tie the others lack, or clearly more shared information: with
    nothing for one of them (``Brown``: Gordon, Wes and Dan) nothing merges. A surname only
    ``listed`` in a line-up needs ``LIST_SHARED`` of co-mentioned information."""
    if not evidence:
        return None
    if listed:
        # team-mates tie a line-up to a sport more than to a team: among several candidates of
        # the surname a London Irish "Murphy" went to Leicester's; only an initial ("G Murphy")
        # narrows them enough
        if len(evidence) > 1 and not initialled:
            return None
        ranked = sorted(evidence.items(), key=lambda item: -item[1].shared)
        runner_up = ranked[1][1].shared if len(ranked) > 1 else 0.0
        best, top = ranked[0]
        return best if top.shared >= LIST_SHARED and top.shared >= MARGIN * runner_up else None
    if len(evidence) == 1:
        [(candidate, e)] = evidence.items()
        return candidate if e.story or e.period or e.shared >= SOLE_SHARED else None
    for tie in ("story", "period"):
        tied = [c for c, e in evidence.items() if getattr(e, tie)]
        if len(tied) == 1:
            return tied[0]
        if len(tied) > 1:
            evidence = {c: evidence[c] for c in tied}
            break
    ranked = sorted(evidence.items(), key=lambda item: -item[1].shared)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top.shared >= STRONG_SHARED and top.shared >= MARGIN * second.shared:
        return best
    return None
