"""Person names the model cut short or typed wrong (app.nlp.personfix, issue 20): tables of
cases, on mention lists and on docs whose tokens, tags and entities are given exactly."""

import pytest
from spacy.tokens import Doc
from spacy.vocab import Vocab

from app.nlp.entities import EntityMention, extract_entities, link_mentions

Case = list[tuple[str, str]]

# (the mentions of one text as (name, label), the labels they have after linking)
RETYPE_CASES: list[tuple[Case, list[str]]] = [
    # a full name typed as an organisation beside its surname: a person
    ([("Dana Whitcombe", "ORG"), ("Whitcombe", "PERSON")], ["PERSON", "PERSON"]),
    ([("T Fenwick", "ORG"), ("Fenwick", "PERSON")], ["PERSON", "PERSON"]),
    ([("Josephine Amadi-Lowe", "FAC"), ("Amadi-Lowe", "PERSON")], ["PERSON", "PERSON"]),
    # two name words, the first not known as a first name: a person all the same
    (
        [("Oakhurst Pell", "GPE"), ("Pell", "PERSON"), ("Pell", "PERSON")],
        ["PERSON", "PERSON", "PERSON"],
    ),
    # three, the first not a first name: not a person; named as often, its word neither
    ([("Harbour Road Pell", "FAC"), ("Pell", "PERSON")], ["FAC", "FAC"]),
    # a word of a longer organisation, named as often: the organisation's type
    ([("Morrow Brothers Haulage", "ORG"), ("Morrow", "PERSON")], ["ORG", "ORG"]),
    ([("Saltmarsh Lane Pictures", "ORG"), ("Pictures", "PERSON")], ["ORG", "ORG"]),
    ([("Dunmore City", "ORG"), ("City", "PERSON")], ["ORG", "ORG"]),
    ([("The Long Night of Carver", "WORK_OF_ART"), ("Carver", "PERSON")], ["WORK", "WORK"]),
    # the person is named in full too: it stays a person
    (
        [("Ana Ruiz", "PERSON"), ("Ruiz Foods Group", "ORG"), ("Ruiz", "PERSON")],
        ["PERSON", "ORG", "PERSON"],
    ),
    # the person is written alone more often than the organisation: a person
    (
        [("Media Holdings Quill", "ORG"), ("Quill", "PERSON"), ("Quill", "PERSON")],
        ["ORG", "PERSON", "PERSON"],
    ),
    # a person's own administration or campaign is no other thing
    ([("Bush Administration", "ORG"), ("Bush", "PERSON")], ["ORG", "PERSON"]),
    ([("Hallam Campaign", "ORG"), ("Hallam", "PERSON")], ["ORG", "PERSON"]),
    # a list the model took for one name
    ([("Shields, Moore", "WORK_OF_ART"), ("Moore", "PERSON")], ["WORK", "PERSON"]),
    # an organisation's last word that is one of its kind, not a surname
    ([("Dunmore City", "ORG"), ("Dunmore", "GPE")], ["ORG", "GPE"]),
]


@pytest.mark.parametrize(("names", "labels"), RETYPE_CASES)
def test_retype(names: Case, labels: list[str]) -> None:
    mentions = [
        EntityMention(text=name, start=30 * n, end=30 * n + len(name), label=label, name=name)
        for n, (name, label) in enumerate(names)
    ]
    found = [m.label.replace("WORK_OF_ART", "WORK") for m in link_mentions(mentions)]
    assert found == labels


def test_a_retyped_full_name_takes_its_surname() -> None:
    mentions = [
        EntityMention("Dana Whitcombe", 0, 14, "ORG", "Dana Whitcombe"),
        EntityMention("Whitcombe", 40, 49, "PERSON", "Whitcombe"),
    ]
    assert [m.name for m in link_mentions(mentions)] == ["Dana Whitcombe"] * 2


# (words, their tags, their entity tags, spaces after each, the entities found)
Tokens = list[tuple[str, str, str, str]]
SPAN_CASES: list[tuple[Tokens, list[tuple[str, str]]]] = [
    # a first name the model left out
    (
        [
            ("Then", "RB", "O", " "),
            ("Olwen", "NNP", "O", " "),
            ("Tranter", "NNP", "B-PERSON", " "),
            ("scored", "VBD", "O", ""),
        ],
        [("Olwen Tranter", "PERSON")],
    ),
    # an initial: two players of one surname in a line-up stay two
    (
        [
            ("S", "NNP", "O", " "),
            ("Tranter", "NNP", "B-PERSON", ""),
            (",", ",", "O", " "),
            ("G.", "NNP", "O", " "),
            ("Tranter", "NNP", "B-PERSON", ""),
            (";", ":", "O", " "),
            ("A", "DT", "O", " "),
            ("Tranter", "NNP", "B-PERSON", " "),
            ("goal", "NN", "O", ""),
        ],
        [("S Tranter", "PERSON"), ("G. Tranter", "PERSON"), ("Tranter", "PERSON")],
    ),
    # a title, a role word, a month or another entity before the surname is none
    (
        [
            ("Lord", "NNP", "O", " "),
            ("Wexcombe", "NNP", "B-PERSON", " "),
            ("spoke", "VBD", "O", ""),
        ],
        [("Wexcombe", "PERSON")],
    ),
    (
        [
            ("Striker", "NNP", "O", " "),
            ("Tranter", "NNP", "B-PERSON", " "),
            ("ran", "VBD", "O", ""),
        ],
        [("Tranter", "PERSON")],
    ),
    (
        [
            ("In", "IN", "O", " "),
            ("March", "NNP", "O", " "),
            ("Tranter", "NNP", "B-PERSON", " "),
            ("ran", "VBD", "O", ""),
        ],
        [("Tranter", "PERSON")],
    ),
    (
        [
            ("Welsh", "NNP", "B-NORP", " "),
            ("Tranter", "NNP", "B-PERSON", " "),
            ("ran", "VBD", "O", ""),
        ],
        [("Welsh", "NORP"), ("Tranter", "PERSON")],
    ),
    # a lower-case word before it is no first name
    (
        [("said", "VBD", "O", " "), ("Tranter", "NNP", "B-PERSON", "")],
        [("Tranter", "PERSON")],
    ),
    # the hyphenated rest of a surname
    (
        [
            ("General", "NNP", "O", " "),
            ("Suk", "NNP", "B-PERSON", ""),
            ("-", "HYPH", "O", ""),
            ("a", "NN", "O", ""),
            ("-", "HYPH", "O", ""),
            ("chai", "NN", "O", " "),
            ("won", "VBD", "O", ""),
        ],
        [("Suk-a-chai", "PERSON")],
    ),
    # two surnames of a ticket are one name; the second the model found is in it
    (
        [
            ("the", "DT", "O", " "),
            ("Hale", "NNP", "B-PERSON", ""),
            ("-", "HYPH", "O", ""),
            ("Mercer", "NNP", "B-PERSON", " "),
            ("ticket", "NN", "O", ""),
        ],
        [("Hale-Mercer", "PERSON")],
    ),
    # a lower-case word after the hyphen is not a name's
    (
        [
            ("the", "DT", "O", " "),
            ("Hale", "NNP", "B-PERSON", ""),
            ("-", "HYPH", "O", ""),
            ("era", "NN", "O", " "),
            ("rules", "NNS", "O", ""),
        ],
        [("Hale", "PERSON")],
    ),
    # a one-word person right after an organisation is its last word
    (
        [
            ("Brackley", "NNP", "B-ORG", " "),
            ("Marston", "NNP", "B-PERSON", " "),
            ("won", "VBD", "O", ""),
        ],
        [("Brackley Marston", "ORG")],
    ),
]


@pytest.mark.parametrize(("tokens", "expected"), SPAN_CASES)
def test_whole_names(tokens: Tokens, expected: list[tuple[str, str]]) -> None:
    doc = Doc(
        Vocab(),
        words=[w for w, _, _, _ in tokens],
        spaces=[s == " " for _, _, _, s in tokens],
        tags=[t for _, t, _, _ in tokens],
        ents=[e for _, _, e, _ in tokens],
    )
    assert [(m.text, m.label) for m in extract_entities(doc)] == expected


# (text, the one-word "person" in it, the type it has)
TITLE_CASES = [
    ("They laughed at the sketch comedy Brindle last year.", "Brindle", "WORK_OF_ART"),
    (
        "Critics tipped Hollowmere, starring two newcomers, for a prize.",
        "Hollowmere",
        "WORK_OF_ART",
    ),
    ("The new film Ostrava opens on Friday.", "Ostrava", "WORK_OF_ART"),
    ("The film director Brindle spoke on Friday.", "Brindle", "PERSON"),
    ("Brindle said the film would open on Friday.", "Brindle", "PERSON"),
    ("After the match England were top of the table.", "England", "GPE"),
    ("Angry MPs walked out.", "MPs", "NORP"),
]


@pytest.mark.parametrize(("text", "word", "label"), TITLE_CASES)
def test_works_and_places_taken_for_people(text: str, word: str, label: str) -> None:
    words = text.replace(",", " ,").replace(".", " .").split()
    spaces = [not (n + 1 < len(words) and words[n + 1] in ",.") for n in range(len(words))]
    spaces[-1] = False
    ents = ["B-PERSON" if w == word else "O" for w in words]
    doc = Doc(Vocab(), words=words, spaces=spaces, tags=["NN"] * len(words), ents=ents)
    assert doc.text == text
    assert [(m.text, m.label) for m in extract_entities(doc)] == [(word, label)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Ruth and Owen Tranter left.", ["Ruth Tranter", "Owen Tranter"]),
        ("Ruth & Owen Tranter left.", ["Ruth Tranter", "Owen Tranter"]),
        # not a first name, or not right before the full name
        ("Hollis and Owen Tranter left.", ["Hollis", "Owen Tranter"]),
        ("Ruth met Owen Tranter.", ["Ruth", "Owen Tranter"]),
    ],
)
def test_couples_share_a_surname(text: str, names: list[str]) -> None:
    words = text.replace(".", " .").split()
    spaces = [True] * (len(words) - 2) + [False, False]
    ents, inside = [], False
    for w in words:
        if w in ("Ruth", "Hollis"):
            ents.append("B-PERSON")
        elif w == "Owen":
            ents.append("B-PERSON")
            inside = True
            continue
        elif w == "Tranter" and inside:
            ents.append("I-PERSON")
        else:
            ents.append("O")
        inside = False
    doc = Doc(Vocab(), words=words, spaces=spaces, tags=["NNP"] * len(words), ents=ents)
    assert [m.name for m in extract_entities(doc)] == names
