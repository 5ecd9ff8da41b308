"""Entity canonicalisation, on a blank pipeline with an entity ruler so the input is exact."""

import pytest
import spacy
from spacy.language import Language

from app.nlp.entities import EntityMention, canonical, extract_entities, link_mentions


@pytest.fixture(scope="module")
def ruler_nlp() -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PERSON", "pattern": "Ren Zhengfei"},
            {"label": "PERSON", "pattern": "Zhengfei"},
            {"label": "PERSON", "pattern": "Lee"},
            {"label": "PERSON", "pattern": "Anna Lee"},
            {"label": "PERSON", "pattern": "Tom Lee"},
            {"label": "ORG", "pattern": [{"LOWER": "the"}, {"TEXT": "Huawei"}, {"TEXT": "'s"}]},
            {"label": "ORG", "pattern": "Huawei"},
            {"label": "GPE", "pattern": "U.S."},
            {"label": "GPE", "pattern": "US"},
            {"label": "GPE", "pattern": "United States"},
            {"label": "CARDINAL", "pattern": "five"},
            {"label": "DATE", "pattern": "Monday"},
        ]
    )
    return nlp


def names(nlp: Language, text: str) -> list[tuple[str, str, str]]:
    return [(m.text, m.name, m.label) for m in extract_entities(nlp(text))]


def test_us_variants_are_one_entity(ruler_nlp: Language) -> None:
    found = names(ruler_nlp, "The US and the U.S. are the United States.")
    assert {name for _, name, _ in found} == {"United States"}
    assert [text for text, _, _ in found] == ["US", "U.S.", "United States"]


def test_surname_joins_the_full_name(ruler_nlp: Language) -> None:
    found = names(ruler_nlp, "Ren Zhengfei spoke. Later Zhengfei left.")
    assert [name for _, name, _ in found] == ["Ren Zhengfei", "Ren Zhengfei"]


def test_shared_surname_joins_the_nearest_full_name_before_it(ruler_nlp: Language) -> None:
    found = names(ruler_nlp, "Anna Lee and Tom Lee met. Lee spoke.")
    assert found[-1][:2] == ("Lee", "Tom Lee")


def test_surname_typed_as_a_place_becomes_the_person(ruler_nlp: Language) -> None:
    ruler_nlp.get_pipe("entity_ruler").add_patterns(  # type: ignore[attr-defined]
        [{"label": "PERSON", "pattern": "Doug Hurley"}, {"label": "GPE", "pattern": "Hurley"}]
    )
    found = names(ruler_nlp, "Doug Hurley flew. Hurley landed.")
    assert found[-1] == ("Hurley", "Doug Hurley", "PERSON")


def test_acronym_and_short_form_join_the_organisation(ruler_nlp: Language) -> None:
    ruler_nlp.get_pipe("entity_ruler").add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "ORG", "pattern": "World Health Organization"},
            {"label": "ORG", "pattern": "WHO"},
            {"label": "ORG", "pattern": "GlaxoSmithKline"},
            {"label": "ORG", "pattern": "Glaxo"},
        ]
    )
    text = "The World Health Organization (WHO) met GlaxoSmithKline. WHO and Glaxo agreed."
    found = names(ruler_nlp, text)
    assert [name for _, name, _ in found][-2:] == ["World Health Organization", "GlaxoSmithKline"]


def test_courtesy_titles_are_not_part_of_the_name(ruler_nlp: Language) -> None:
    ruler_nlp.get_pipe("entity_ruler").add_patterns(  # type: ignore[attr-defined]
        [{"label": "PERSON", "pattern": "Dr Guy Cumberbatch"}]
    )
    [mention] = extract_entities(ruler_nlp("Dr Guy Cumberbatch spoke."))
    assert mention.text == "Guy Cumberbatch"


def test_leading_the_and_possessive_are_trimmed(ruler_nlp: Language) -> None:
    text = "We saw the Huawei's lab."
    [mention] = extract_entities(ruler_nlp(text))
    assert mention.text == "Huawei" and text[mention.start : mention.end] == "Huawei"


def test_numbers_and_dates_are_not_entities(ruler_nlp: Language) -> None:
    assert names(ruler_nlp, "On Monday five people came.") == []


@pytest.mark.parametrize(
    ("written", "label", "expected"),
    [
        ("U.S.", "GPE", ("United States", "GPE")),
        ("usa", "ORG", ("United States", "GPE")),
        ("Britain", "GPE", ("United Kingdom", "GPE")),
        ("Huawei  Technologies", "ORG", ("Huawei Technologies", "ORG")),
    ],
)
def test_canonical(written: str, label: str, expected: tuple[str, str]) -> None:
    assert canonical(written, label) == expected


def test_one_type_per_name_by_majority() -> None:
    mentions = [
        EntityMention(text="Twitter", start=0, end=7, label="ORG", name="Twitter"),
        EntityMention(text="Twitter", start=20, end=27, label="PERSON", name="Twitter"),
        EntityMention(text="Twitter", start=40, end=47, label="ORG", name="Twitter"),
    ]
    assert {m.label for m in link_mentions(mentions)} == {"ORG"}


def test_short_forms_take_the_full_name() -> None:
    """Every kind of short form, as within one doc and across the parts of a long text."""
    names = [
        ("Ruiz", "GPE"),  # a surname typed as a place, before its full name
        ("Ana Ruiz", "PERSON"),
        ("Ruiz", "PERSON"),
        ("AR", "PERSON"),  # initials
        ("World Health Organization", "ORG"),
        ("WHO", "ORG"),  # an acronym
        ("Acme Harbour Works", "ORG"),
        ("Acme", "ORG"),  # a first word
        ("Bank", "ORG"),
        ("Tomas Ruiz", "PERSON"),  # a second Ruiz: the nearest before wins
        ("Ruiz", "PERSON"),
        ("Lisbon", "GPE"),
        ("Olsen", "PERSON"),  # nothing to link to
    ]
    mentions = [
        EntityMention(text=name, start=10 * n, end=10 * n + 5, label=label, name=name)
        for n, (name, label) in enumerate(names)
    ]
    linked = link_mentions(mentions)
    assert [m.name for m in linked if m.text in ("Ruiz", "WHO", "Acme")] == [
        "Ana Ruiz",
        "Ana Ruiz",
        "World Health Organization",
        "Acme Harbour Works",
        "Tomas Ruiz",
    ]


def test_interview_labels(ruler_nlp: Language) -> None:
    ruler_nlp.get_pipe("entity_ruler").add_patterns(  # type: ignore[attr-defined]
        [{"label": "ORG", "pattern": "WN"}]
    )
    text = "((WN))  Why?\n\n((Sam Okoro))  Because it works.\n\n((WN))  Thanks?"
    found = names(ruler_nlp, text)
    assert found == [("Sam Okoro", "Sam Okoro", "PERSON")]


def test_a_title_makes_a_person(ruler_nlp: Language) -> None:
    ruler_nlp.get_pipe("entity_ruler").add_patterns(  # type: ignore[attr-defined]
        [{"label": "ORG", "pattern": "Dr Houlton"}]
    )
    [mention] = extract_entities(ruler_nlp("Dr Houlton agreed."))
    assert (mention.text, mention.label) == ("Houlton", "PERSON")


@pytest.fixture(scope="module")
def results_nlp() -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "GPE", "pattern": "Kestrelshire"},
            {"label": "GPE", "pattern": "Lowmoor"},
            {"label": "GPE", "pattern": "Norland"},
            {"label": "PERSON", "pattern": "J. Pike 4-43"},
            {"label": "ORG", "pattern": "Sen. Ron Kale"},
            {"label": "PERSON", "pattern": "Gov. Ana Mora"},
            {"label": "PERSON", "pattern": "Ada Reed ("},
            {"label": "PERSON", "pattern": "Ada Reed"},
        ]
    )
    return nlp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a place followed by a score is a club
        ("Kestrelshire 22 points , Lowmoor 4 .", [("Kestrelshire", "ORG"), ("Lowmoor", "ORG")]),
        ("Kestrelshire beat Lowmoor by 39 runs .", [("Kestrelshire", "GPE"), ("Lowmoor", "GPE")]),
        # a year or a date after a place is no score; a country in brackets stays a place
        ("Norland 1996-08-30", [("Norland", "GPE")]),
        ("Norland 2024 will host the games .", [("Norland", "GPE")]),
        ("1. Ada Reed ( Norland ) 11.14", [("Ada Reed", "PERSON"), ("Norland", "GPE")]),
        # figures and brackets are never part of a name
        ("( J. Pike 4-43 )", [("J. Pike", "PERSON")]),
        # US titles are not part of a name, and make a person whatever the model said
        ("Sen. Ron Kale met Gov. Ana Mora .", [("Ron Kale", "PERSON"), ("Ana Mora", "PERSON")]),
    ],
)
def test_results_tables(results_nlp: Language, text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, m.label) for m in extract_entities(results_nlp(text))] == expected


# (line, teams found) for each rule of TABLE_LINES; invented club names, so no model knows them
TABLE_LINE_CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # standings: a name and four or more figures
    ("Lowmoor 4 2 1 1 7 5 7", [("Lowmoor", "ORG")]),
    ("Kestrel Rovers 46 6 54 .462 14 1/2", [("Kestrel Rovers", "ORG")]),
    ("Norland ( Z ) 4 2 1 1 8 5 7", [("Norland", "ORG")]),
    # a result: two names, each with its score
    ("Lowmoor 4 Kestrel Rovers 0", [("Lowmoor", "ORG"), ("Kestrel Rovers", "ORG")]),
    ("Brackwater 17 Norland 23 ( halftime 5-9 )", [("Brackwater", "ORG"), ("Norland", "ORG")]),
    # cricket scorecards: batsmen, fielders and bowlers are people
    (
        "Ada Reed c Tom Kale b J. Pike 21",
        [("Ada Reed", "PERSON"), ("Tom Kale", "PERSON"), ("J. Pike", "PERSON")],
    ),
    ("Ora Lund lbw b Pike 0", [("Ora Lund", "PERSON"), ("Pike", "PERSON")]),
    ("Ora Lund not out 46", [("Ora Lund", "PERSON")]),
    ("Bowling : Pike 8-0-39-3 , Lund 6.5-1-23-4", [("Pike", "PERSON"), ("Lund", "PERSON")]),
    # football line-ups and scorers
    ("9 - Ora Lund , 8 - Ian de Wit", [("Ora Lund", "PERSON"), ("Ian de Wit", "PERSON")]),
    ("Norland - Ada Reed ( 61st )", [("Norland", "GPE"), ("Ada Reed", "PERSON")]),
    # a placing: the athlete is a person, a country in the same place is not
    ("7. Ora Lund ( Norland ) 60.74", [("Ora Lund", "PERSON"), ("Norland", "GPE")]),
    ("2. Norland ( Ada Reed ) 3:32.1", [("Norland", "GPE"), ("Ada Reed", "PERSON")]),
]


@pytest.mark.parametrize(("line", "expected"), TABLE_LINE_CASES)
def test_table_lines(results_nlp: Language, line: str, expected: list[tuple[str, str]]) -> None:
    text = f"Football results on Saturday :\n{line}\nMore soon ."
    assert [(m.text, m.label) for m in extract_entities(results_nlp(text))] == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Norland 1996-08-30", [("Norland", "GPE")]),  # a dateline: one figure
        ("Lowmoor won 4 2 in the end", [("Lowmoor", "GPE")]),  # prose
        ("Ada Reed 68 70 69 71 278", [("Ada Reed", "PERSON")]),  # a golfer's rounds
    ],
)
def test_not_table_lines(results_nlp: Language, line: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, m.label) for m in extract_entities(results_nlp(line))] == expected
