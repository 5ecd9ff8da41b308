"""Story similarity: the boilerplate rules (a table of cases, one row or more per rule), and
wire boilerplate neither making nor breaking a story."""

import pytest

from app.corpus.shingles import (
    BOILERPLATE,
    THRESHOLD,
    band_keys,
    jaccard,
    overlap,
    packed_shingles,
    shingles,
    signature,
    strip_boilerplate,
    unpacked_shingles,
)
from tests.corpus.syndicated import WIRE, body

# (rule, body, what is left)
CASES = [
    ("wire dateline", "LONDON (Reuters) - Prices rose.", "Prices rose."),
    ("wire dateline", "WASHINGTON, March 3 (AP) \u2014 Prices rose.", "Prices rose."),
    ("wire dateline", "(AFP) - Prices rose.", "Prices rose."),
    ("capitalised dateline", "BRUSSELS \u2014 Prices rose.", "Prices rose."),
    ("capitalised dateline", "NEW YORK, Jan. 5 - Prices rose.", "Prices rose."),
    ("byline", "By Sam Reed\n\nPrices rose.", "Prices rose."),
    ("byline", "By Ann Lee and Tom Hall\n\nPrices rose.", "Prices rose."),
    ("copyright", "Prices rose.\n\nCopyright 2024 Example Wire.", "Prices rose."),
    ("copyright", "Prices rose.\n\n\u00a9 Example Wire 2024", "Prices rose."),
    ("copyright", "Prices rose.\n\nAll rights reserved.", "Prices rose."),
    ("read more", "Prices rose.\n\nRead more: why prices rise", "Prices rose."),
    ("read more", "Prices rose.\n\nFollow us on social media", "Prices rose."),
    ("wire credits", "Prices rose.\n\n(Reporting by Ann Lee; Editing by Jo Ward)", "Prices rose."),
    # what is not boilerplate stays
    (
        None,
        "Prices rose in London (Reuters reported).",
        "Prices rose in London (Reuters reported).",
    ),
    (None, "By Tuesday prices had risen.", "By Tuesday prices had risen."),
    (None, "The US - and Canada - agreed.", "The US - and Canada - agreed."),
    (None, "He said: Read more books.", "He said: Read more books."),
]


@pytest.mark.parametrize(("rule", "text", "left"), CASES)
def test_boilerplate_table(rule: str | None, text: str, left: str) -> None:
    assert strip_boilerplate(text) == left


def test_every_rule_has_a_case() -> None:
    assert {r.name for r in BOILERPLATE} <= {case[0] for case in CASES}


STORY = body(WIRE)


@pytest.mark.parametrize(
    "variant",
    [
        "PORT ALDER (Reuters) - " + STORY,
        "By Sam Reed\n\n" + STORY + "\n\nRead more: the storm season",
        STORY + "\n\nCopyright 2024 Example Wire. All rights reserved.",
        body(WIRE[:3] + WIRE[4:]),
    ],
    ids=["dateline", "byline and tail", "copyright", "dropped paragraph"],
)
def test_boilerplate_does_not_break_a_story(variant: str) -> None:
    a, b = shingles(STORY), shingles(variant)
    assert jaccard(a, b) >= THRESHOLD
    assert set(band_keys(a)) & set(band_keys(b))


def test_boilerplate_does_not_make_a_story() -> None:
    wrap = "By Sam Reed\n\n{}\n\nCopyright 2024 Example Wire.\n\nRead more: the storm season"
    a = shingles("LONDON (Reuters) - " + wrap.format("Prices rose sharply on Monday."))
    b = shingles("LONDON (Reuters) - " + wrap.format("The match ended in a draw."))
    assert jaccard(a, b) == 0


def test_shingles_ignore_case_and_punctuation() -> None:
    assert shingles("The Cat, sat on the mat!") == shingles("the cat sat on the mat")


@pytest.mark.parametrize(
    "other",
    [body(WIRE), body(WIRE[:3] + WIRE[4:]), body(WIRE[2:]), "A different story.", ""],
    ids=["same", "dropped paragraph", "half", "different", "empty"],
)
def test_stored_shingle_sets_give_the_same_similarity_and_signature(other: str) -> None:
    """Judging a candidate from its stored set is judging it from its body."""
    a, b = shingles(STORY), shingles(other)
    stored_a, stored_b = (
        unpacked_shingles(packed_shingles(a)),
        unpacked_shingles(packed_shingles(b)),
    )
    assert sorted(stored_b.tolist()) == stored_b.tolist() == sorted(b)
    assert overlap(stored_a, stored_b) == pytest.approx(jaccard(a, b))
    assert (signature(stored_b) == signature(b)).all()
