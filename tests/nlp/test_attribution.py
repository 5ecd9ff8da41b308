"""Each attribution rule with its own table of cases (sentences written for these tests).

A row is (text, speaker as written, resolved speaker name or None). The quote checked is the
last direct, partial or block quote of the text. To cover a new construction, add a row to
the table of the rule that should handle it, or a new rule with a new table.
"""

import pytest

from app.nlp.attribution import RULES
from tests.nlp.test_quotes import Extract

Row = tuple[str, str | None, str | None]


def check(quotes_of: Extract, rule: str, text: str, written: str | None, name: str | None) -> None:
    marked = [q for q in quotes_of(text) if q.kind in ("direct", "partial", "block")]
    assert marked, "no quote found"
    quote = marked[-1]
    assert quote.speaker_text == written
    assert (quote.speaker.name if quote.speaker else None) == name
    if written is not None:
        assert quote.rule == rule
        confidence = next(r.confidence for r in RULES if r.name == rule)
        assert quote.confidence == confidence


CUE_AFTER_QUOTE: list[Row] = [
    ('"We will rebuild the bridge," Maria Lopez said on Monday.', "Maria Lopez", "Maria Lopez"),
    ('"Prices will fall," said Angela Merkel.', "Angela Merkel", "Angela Merkel"),
    (
        'Sarah Connor arrived late. "The machines are coming," she warned.',
        "she",
        "Sarah Connor",
    ),
    ('"Is this the end of the road?" Tom Baker asked.', "Tom Baker", "Tom Baker"),
    ('"Go back to your seat," Ron Dale barked at the reporter.', "Ron Dale", "Ron Dale"),
    # the subject of the cue, not the name it tells something to
    ('"The talks failed," Nadia Petrov told Omar Khan on Friday.', "Nadia Petrov", "Nadia Petrov"),
    # a relative clause between the name and the verb
    (
        '"I will not vote for either of them," Helen Ward, who has not endorsed anyone, '
        "told reporters.",
        "Helen Ward",
        "Helen Ward",
    ),
    ('"The vote is close," said a person close to the campaign.', "a person", None),
    # an apposition between the name and the verb, and a number as the apposition
    (
        '"I am calling from the campaign office," Ada Miller, a retired nurse, said softly.',
        "Ada Miller",
        "Ada Miller",
    ),
    ('"We were wrong from the very start," Lopez, 58, told the agency.', "Lopez", "Lopez"),
]

CUE_BEFORE_QUOTE: list[Row] = [
    ('Tom Harris told reporters: "The budget is balanced and fair."', "Tom Harris", "Tom Harris"),
    ('Holding up a book, Carl Berg said, "This is the one I wrote."', "Carl Berg", "Carl Berg"),
    # the second half of a split quote takes the cue between the halves
    (
        '"We will win," Carl Berg said, "and we will govern well."',
        "Carl Berg",
        "Carl Berg",
    ),
    (
        'Lucy Grant stood up. She released a statement saying, "We are proud of the team."',
        "She",
        "Lucy Grant",
    ),
]

INTRO_BEFORE: list[Row] = [
    (
        "Paul Meyer spoke after the vote.\n\nHe said:\n\n"
        '"This is a great day for the town and for all of us."',
        "He",
        "Paul Meyer",
    ),
]

COLON_LEAD: list[Row] = [
    (
        'Here is Laura Kim in her first speech: "We owe the voters an honest budget."',
        "Laura Kim",
        "Laura Kim",
    ),
    (
        'Mark Stone smiled. He gave his rival a compliment: "She is a very smart woman."',
        "He",
        "Mark Stone",
    ),
]

COLON_LEAD.append(
    (
        "Rosa Vidal and Ben Ortiz disagree.\n\n"
        'Vidal: "We should cut taxes first." Ortiz: "We should pay down the debt first."',
        "Ortiz",
        "Ben Ortiz",
    )
)

VERB_WITHOUT_CONTENT_BEFORE: list[Row] = [
    (
        "Dana Reyes, the party chair, said in a statement. "
        '"There are no ballots left to count in the county."',
        "Dana Reyes",
        "Dana Reyes",
    ),
]

ROUNDUP_LABEL: list[Row] = [
    (
        "What the papers say.\n\nJohn Carter, The Valley Herald:\n\n"
        '"The mayor has lost the trust of the city council."',
        "John Carter",
        "John Carter",
    ),
]

DASH_SIGNATURE: list[Row] = [
    (
        "Best lines of the night.\n\n"
        '"I went to the factory before anybody else did."\n\n- Martha Klein.',
        "Martha Klein",
        "Martha Klein",
    ),
]

CONTINUES_PREVIOUS: list[Row] = [
    (
        'James Wong spoke first. "Trade benefits all sides," he said. "It is a win-win."',
        "he",
        "James Wong",
    ),
    (
        '"We will appeal the ruling," said Hannah Schmidt.\n\n'
        '"Our case is strong and the evidence is on our side."',
        "Hannah Schmidt",
        "Hannah Schmidt",
    ),
]

NO_SPEAKER: list[Row] = [
    ('The sign on the door read: "Closed for repairs until the end of the month."', None, None),
    (
        '"We will appeal the ruling," said Hannah Schmidt.\n\n'
        "The court did not comment on the case on Monday.\n\n"
        '"Nobody expected this outcome at all."',
        None,
        None,
    ),
]


@pytest.mark.parametrize(("text", "written", "name"), CUE_AFTER_QUOTE)
def test_cue_after_quote(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "cue_after_quote", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), CUE_BEFORE_QUOTE)
def test_cue_before_quote(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "cue_before_quote", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), INTRO_BEFORE)
def test_intro_before(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "intro_before", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), COLON_LEAD)
def test_colon_lead(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "colon_lead", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), VERB_WITHOUT_CONTENT_BEFORE)
def test_verb_without_content_before(
    quotes_of: Extract, text: str, written: str, name: str | None
) -> None:
    check(quotes_of, "verb_without_content_before", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), ROUNDUP_LABEL)
def test_roundup_label(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "roundup_label", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), DASH_SIGNATURE)
def test_dash_signature(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "dash_signature", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), CONTINUES_PREVIOUS)
def test_continues_previous(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    check(quotes_of, "continues_previous", text, written, name)


@pytest.mark.parametrize(("text", "written", "name"), NO_SPEAKER)
def test_no_speaker_without_evidence(
    quotes_of: Extract, text: str, written: None, name: None
) -> None:
    check(quotes_of, "", text, written, name)
    [quote] = [q for q in quotes_of(text) if q.speaker_text is None]
    assert quote.confidence == 0.0


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert all(0 < rule.confidence <= 1 for rule in RULES)
