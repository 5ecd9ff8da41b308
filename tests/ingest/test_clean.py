"""Cleaning scraped text: layout damage is repaired, wording is untouched."""

import pytest

from app.ingest.clean import clean_body, clean_title, title_from_lead, word_count


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("One.\r\nTwo.", "One.\nTwo."),
        ("A line.   \n \t \nNext.", "A line.\n\nNext."),
        ("Para one.\n\n\n\n\nPara two.", "Para one.\n\nPara two."),
        (
            "Jane Doe, mayor of Springfield\n, said;\nWe won.",
            "Jane Doe, mayor of Springfield, said;\nWe won.",
        ),
        ("The council voted\nto close the road.", "The council voted to close the road."),
        ("It ended.\nthe end", "It ended.\nthe end"),
        ("Para.\n\nlower case paragraph.", "Para.\n\nlower case paragraph."),
        ("Story text.\n \nTop", "Story text."),
        ("Story text.\nShare\nBack to top\n", "Story text."),
        ("Top stories today.\nMore text.", "Top stories today.\nMore text."),
        ("It's a win-win situation.We still hope.", "It's a win-win situation. We still hope."),
        ("Visit the U.S.A. today.", "Visit the U.S.A. today."),
        ("Prices\u00a0rose.", "Prices rose."),
        ("Bell\x07 rang\x02.", "Bell rang."),
        # two apostrophes for a double mark; three for a double and a single one
        ("He said ''we won,'' and left.", 'He said "we won," and left.'),
        ("''I heard 'no,''' she said.", "\"I heard 'no,'\" she said."),
        ("'''No' was all,'' he said.", "\"'No' was all,\" he said."),
        ("the '90s and rock''n''roll", "the '90s and rock''n''roll"),
    ],
)
def test_clean_body(raw: str, clean: str) -> None:
    assert clean_body(raw) == clean


def test_navigation_words_inside_the_text_are_kept() -> None:
    assert clean_body("Top\nThe Top of the hill.") == "Top\nThe Top of the hill."


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Short lead. More text follows here.", "Short lead"),
        ("Is it over? Nobody knows.", "Is it over?"),
        ("word " * 40, ("word " * 40)[:100].rsplit(" ", 1)[0] + "…"),
    ],
)
def test_title_from_lead(body: str, title: str) -> None:
    assert title_from_lead(body) == title


def test_word_count() -> None:
    assert word_count("It's a win-win, says Ren Zhengfei (CEO).") == 7


def test_clean_title() -> None:
    assert clean_title("  Zebra\x02 crossing\n\tzebra ") == "Zebra crossing zebra"
