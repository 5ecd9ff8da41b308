"""Where a reported statement starts and ends, and who makes it (issue 20, fourth round): each
case a shape the judged samples found, in sentences written for these tests."""

import pytest

from app.nlp.quotes import QuoteSpan, _unattributed_phrase
from tests.nlp.test_quotes import Extract


def indirect(quotes_of: Extract, text: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker_text) for q in quotes_of(text) if q.kind == "indirect"]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        # a percent sign ends the figure, not the statement
        (
            "Farmers in the valley say the levy should fall from 12% to 9%. They will vote soon.",
            "the levy should fall from 12% to 9%",
        ),
        (
            "Between 2001 and 2004 the number of ferries rose by more than 300%, it said.",
            "Between 2001 and 2004 the number of ferries rose by more than 300%",
        ),
        # a second clause the parser hung on the verb: "satisfied [that] the plan was fair"
        (
            "The harbour board on Friday said it was satisfied the plan was easy to follow.",
            "it was satisfied the plan was easy to follow",
        ),
        # a semicolon outside marks or brackets ends the statement
        (
            "Lena Ortiz said the ferry would run again in May; critics doubted it.",
            "the ferry would run again in May",
        ),
        # … but not one that lists amounts in brackets
        (
            "The ferry firm said it needed another 40m euros ($52m; £35m) to finish the pier.",
            "it needed another 40m euros ($52m; £35m) to finish the pier",
        ),
    ],
)
def test_a_reported_statement_ends_where_it_ends(
    quotes_of: Extract, text: str, content: str
) -> None:
    assert [c for c, _ in indirect(quotes_of, text)] == [content]


@pytest.mark.parametrize(
    "text",
    [
        # a clause before a semicolon or a full stop is the writer's, not the next verb's
        "That spring, the harbour campaign began; Lee promised rallies every week until May.",
    ],
)
def test_a_clause_before_a_semicolon_is_not_reported(quotes_of: Extract, text: str) -> None:
    assert [c for c, _ in indirect(quotes_of, text) if "campaign began" in c] == []


@pytest.mark.parametrize(
    ("text", "content"),
    [
        # "according to" inside a relative clause: the noun and its clause, the phrase left in
        (
            "The group said the aim was to push readers to a local edition of the site which, "
            "according to the group, does not carry critical reports.",
            "the aim was to push readers to a local edition of the site which, according to the "
            "group, does not carry critical reports",
        ),
        # … and after a first conjunct: the whole statement
        (
            "Two men robbed the ferry office shortly after it opened, then, according to police "
            "officers, ran off.",
            "Two men robbed the ferry office shortly after it opened, then, according to police "
            "officers, ran off",
        ),
    ],
)
def test_according_to_inside_a_clause(quotes_of: Extract, text: str, content: str) -> None:
    assert content in [c for c, _ in indirect(quotes_of, text)]


def test_a_participle_after_with_has_its_noun_for_speaker(quotes_of: Extract) -> None:
    text = (
        "Tom Reed has been linked with the vacant post, with reports saying he has fallen out "
        "with the chairman."
    )
    [(content, speaker)] = indirect(quotes_of, text)
    assert (content, speaker) == ("he has fallen out with the chairman", "reports")


def test_the_spokesman_after_an_unnamed_spokesman_is_nobody_named(quotes_of: Extract) -> None:
    text = (
        "Ana Silva missed the trip to Oslo. A Harbour Town spokesman said on Monday that the "
        'decision was medical. "She has a knee injury," the spokesman said.'
    )
    [quote] = [q for q in quotes_of(text) if q.kind == "direct"]
    assert (quote.speaker_text, quote.speaker) == ("the spokesman", None)


def test_a_billing_in_marks_is_no_quote(quotes_of: Extract) -> None:
    text = (
        "The festival, now in its tenth year, is billed as \"the north's biggest free music "
        'weekend". Tickets go on sale in June.'
    )
    assert quotes_of(text) == []


def test_a_sentence_before_a_colon_lead_is_the_writers(quotes_of: Extract) -> None:
    # the parser runs the two sentences together when the first ends in "60m."
    text = (
        "Reed will race in the indoor meeting in Leeds on 3 March over 60m. He added: "
        '"I feel quick and I want to win there."'
    )
    assert [q.text for q in quotes_of(text) if q.kind == "indirect"] == []


def test_a_short_phrase_with_a_cue_and_nobody_to_say_it_is_a_term() -> None:
    # a cue found elsewhere in the sentence ("called on X to see if he met his "…"") with
    # nobody said to speak the phrase: a term, as without a cue
    term = QuoteSpan("harbour rule", 10, 22, "direct", cue="called")
    said = QuoteSpan("harbour rule", 10, 22, "direct", cue="called", speaker_text="Reed")
    cry = QuoteSpan("Stop the ferry!", 10, 25, "direct", cue="called")
    assert [_unattributed_phrase(q) for q in (term, said, cry)] == [True, False, False]


def test_many_as_a_subject_names_nobody(quotes_of: Extract) -> None:
    text = "Many believe the harbour tunnel will never be finished."
    assert indirect(quotes_of, text) == []


def test_a_colon_lead_without_a_subject_does_not_give_the_addressee(
    quotes_of: Extract,
) -> None:
    text = (
        "Tom Reed said he had not read the harbour report. But told Radio Leeds: "
        '"As far as I am concerned, the matter is closed."'
    )
    [quote] = [q for q in quotes_of(text) if q.kind == "direct"]
    assert quote.speaker is None or quote.speaker.name != "Radio Leeds"


@pytest.mark.parametrize(
    "text",
    [
        # the parser makes both the role and the name subjects of "said"
        "Ana Silva opened the fair. The trust's head of harbour policy in Leeds, Tom Reed said: "
        '"The pier must stay open all year."',
        # a role, a rank and then the name
        'The head of the harbour unit, Acting Chief Inspector, Tom Reed, said: "The pier is '
        'safe again."',
    ],
)
def test_a_role_then_the_name_after_a_comma_is_that_name(quotes_of: Extract, text: str) -> None:
    [quote] = [q for q in quotes_of(text) if q.kind == "direct"]
    assert quote.speaker is not None and quote.speaker.name == "Tom Reed"


def test_a_question_then_a_new_sentence_is_not_attributed_to_its_subject(
    quotes_of: Extract,
) -> None:
    text = (
        'The film star drew on a moustache and asked: "How do I look?" His assistant said that '
        "he looked like a gangster."
    )
    [quote] = [q for q in quotes_of(text) if q.kind == "direct"]
    assert quote.speaker_text != "His assistant"


def test_a_party_in_the_plural_is_no_person_named_before(quotes_of: Extract) -> None:
    text = (
        "Tom Reed cut the stamp duty on small homes. The Tories say whatever the chancellor "
        "gives away will be taken back in higher taxes."
    )
    [quote] = [q for q in quotes_of(text) if q.speaker_text == "The Tories"]
    assert quote.speaker is None or quote.speaker.name != "Tom Reed"
