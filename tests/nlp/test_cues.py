"""The stance-cue table (``app.nlp.cues``) and the ordered report rules, each with its cases
(sentences written for these tests).

A row is (text, content, speaker as written). To cover a new verb, add a row to the table of
``STANCE_CUES`` and a case here; a new noun goes into ``NOUN_CUES``.
"""

import pytest

from app.nlp.cues import STANCE_CUES, Content
from app.nlp.reported import NOT_REPORTED, REPORT_RULES
from tests.nlp.test_quotes import Extract

Row = tuple[str, str, str]

OBJECT: list[Row] = [
    ("Maria Lopez endorsed the governor on Monday.", "the governor", "Maria Lopez"),
    ("The union opposes the new pension plan.", "the new pension plan", "The union"),
    ("The union backed the new mayor.", "the new mayor", "The union"),
    ("Most farmers supported the harbour tax.", "the harbour tax", "Most farmers"),
    (
        "Senator Tom Reed has rejected the offer from the mayor.",
        "the offer from the mayor",
        "Senator Tom Reed",
    ),
]
INFINITIVE: list[Row] = [
    ("Ana Silva vowed to repeal the harbour tax.", "to repeal the harbour tax", "Ana Silva"),
    ("The council hopes to open the bridge in May.", "to open the bridge in May", "The council"),
    ("Tom Reed wants to close the harbour at night.", "to close the harbour at night", "Tom Reed"),
]
REST: list[Row] = [
    (
        "The senator urged voters to stay home, and later left.",
        "voters to stay home",
        "The senator",
    ),
    (
        "Paul Hart accused his rival of lying about the budget.",
        "his rival of lying about the budget",
        "Paul Hart",
    ),
    # a refusal of anything but speech is a stance ("declined to comment" is none: NOT_REPORTED)
    ("The union refused to back the harbour plan.", "to back the harbour plan", "The union"),
    # an irregular form, a doubled consonant, -ied
    ("The mayor sought a second term in office.", "a second term in office", "The mayor"),
    ("Tom Reed slammed the budget on Monday.", "the budget", "Tom Reed"),
    ("The union denied the report.", "the report", "The union"),
]

NAMING: list[Row] = [
    (
        'Tom Reed called the harbour plan "a costly mistake" on Monday.',
        'the harbour plan "a costly mistake"',
        "Tom Reed",
    ),
    ("Ana Silva called him reckless.", "him reckless", "Ana Silva"),
    # one quoted word is no quote on its own, but makes the stance mixed
    ('Tom Reed called both mayors "clowns" again.', 'both mayors "clowns', "Tom Reed"),
]
PREPOSITION: list[Row] = [
    ("The union called for a ban on night shifts.", "a ban on night shifts", "The union"),
    # a directive: whom it is addressed to and what they are to do (issue 20)
    ("The union called on members to strike in May.", "members to strike in May", "The union"),
    ("Tom Reed argued for a ban on night flights.", "a ban on night flights", "Tom Reed"),
    ("The union voted for the harbour plan.", "the harbour plan", "The union"),
]
# a noun of speech or stance: its content, and its possessor as speaker (none without one)
NOUN: list[tuple[str, str, str | None]] = [
    ("Ana Silva's attacks on the press grew sharper.", "the press", "Ana Silva"),
    ("Her claim that the budget was balanced fell apart.", "the budget was balanced", "Her"),
    ("The mayor faced criticism over the bridge.", "the bridge", None),
    ("The council stood by its decision to close the library.", "to close the library", "its"),
]
# any verb but a light one, with a clause after it
CLAUSE: list[Row] = [
    ("Maria Lopez realized that the vote was lost.", "the vote was lost", "Maria Lopez"),
    (
        "The governor suspects the count was rigged in two towns.",
        "the count was rigged in two towns",
        "The governor",
    ),
]
# a speech verb without a clause: the object of its preposition
TOPIC: list[Row] = [
    ("Ana Silva warned of a long recession.", "a long recession", "Ana Silva"),
    ("The union asked for a new vote on the plan.", "a new vote on the plan", "The union"),
]
# … or with its object, when that is not who is spoken to
SPOKEN_OBJECT: list[Row] = [
    ("Ana Silva predicted a landslide in the north.", "a landslide in the north", "Ana Silva"),
]
ACCORDING_TO: list[Row] = [
    # in mid-sentence: the longer side of the sentence
    (
        "The harbour wall, according to the city engineer, will be finished by the end of May.",
        "will be finished by the end of May",
        "the city engineer",
    ),
    (
        "According to the city engineer, the wall will hold.",
        "the wall will hold",
        "the city engineer",
    ),
]


def stance_of(quotes_of: Extract, text: str) -> tuple[str, str | None]:
    [quote] = [q for q in quotes_of(text) if q.kind in ("stance", "mixed")]
    assert quote.kind == ("mixed" if '"' in quote.text else "stance")
    assert quote.rule == "stance"
    assert quote.confidence == next(r.confidence for r in REPORT_RULES if r.name == "stance")
    return quote.text, quote.speaker_text


@pytest.mark.parametrize(("text", "content", "written"), OBJECT)
def test_object_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    assert stance_of(quotes_of, text) == (content, written)


@pytest.mark.parametrize(("text", "content", "written"), INFINITIVE)
def test_infinitive_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    assert stance_of(quotes_of, text) == (content, written)


@pytest.mark.parametrize(("text", "content", "written"), REST)
def test_rest_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    assert stance_of(quotes_of, text) == (content, written)


@pytest.mark.parametrize(("text", "content", "written"), NAMING)
def test_naming_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    assert stance_of(quotes_of, text) == (content, written)


@pytest.mark.parametrize(("text", "content", "written"), PREPOSITION)
def test_preposition_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    assert stance_of(quotes_of, text) == (content, written)


@pytest.mark.parametrize(("text", "content", "written"), NOUN)
def test_noun_content(quotes_of: Extract, text: str, content: str, written: str | None) -> None:
    [quote] = [q for q in quotes_of(text) if q.kind == "stance"]
    assert (quote.rule, quote.text, quote.speaker_text) == ("noun_stance", content, written)


@pytest.mark.parametrize(("text", "content", "written"), CLAUSE)
def test_clause_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    [quote] = quotes_of(text)
    assert (quote.rule, quote.kind, quote.text) == ("clause_complement", "stance", content)
    assert quote.speaker_text == written


@pytest.mark.parametrize(("text", "content", "written"), TOPIC)
def test_topic_content(quotes_of: Extract, text: str, content: str, written: str) -> None:
    [quote] = quotes_of(text)
    assert (quote.rule, quote.text, quote.speaker_text) == ("speech_topic", content, written)


@pytest.mark.parametrize(("text", "content", "written"), SPOKEN_OBJECT)
def test_spoken_object(quotes_of: Extract, text: str, content: str, written: str) -> None:
    [quote] = quotes_of(text)
    assert (quote.rule, quote.text, quote.speaker_text) == ("speech_object", content, written)


@pytest.mark.parametrize(("text", "content", "written"), ACCORDING_TO)
def test_according_to(quotes_of: Extract, text: str, content: str, written: str) -> None:
    [quote] = [q for q in quotes_of(text) if q.kind == "indirect"]
    assert (quote.rule, quote.text, quote.speaker_text) == ("according_to", content, written)


@pytest.mark.parametrize(
    "text",
    [
        # a verb that is not in the table, nor a form of one ("planted" is not "plan")
        "Maria Lopez visited the harbour on Monday.",
        "Maria Lopez planted an oak by the harbour.",
        # no subject to attribute the stance to
        "Endorsed by the party, the plan went ahead.",
        # a light verb's clause is an event, not content
        "The storm made the council cancel the parade.",
        "The mayor let the contract lapse last year.",
        # a verb of writing or adding: its preposition names a medium or a target
        "Tom Reed wrote on his blog.",
        "The mayor added to the confusion.",
        # an addressee, or another sense of the verb
        "Tom Reed told reporters nothing new.",
        "The band continued the tour in May.",
        # a noun that is not in the table of nouns of stance
        "The support for the plan is fading.",
    ],
)
def test_no_stance(quotes_of: Extract, text: str) -> None:
    assert [q for q in quotes_of(text) if q.kind in ("indirect", "stance")] == []


# What a rule finds that is no attribution (issue 20), by the entry of NOT_REPORTED that drops
# it, and what the shapes of content never take (an addressee, a date or a place)
NOT_REPORTED_CASES: list[tuple[str, str]] = [
    # negated or not-yet speech
    ("unspoken", "The ministry has yet to say whether the bridge will reopen."),
    ("unspoken", "Tom Reed did not say whether he would run again."),
    ("unspoken", "The club would not comment on the transfer."),
    ("unspoken", "Tom Reed made no comment on the harbour report."),
    ("unspoken", "Ana Ruiz declined to comment."),
    ("unspoken", "The union failed to back the harbour plan."),
    # the subject receives: a passive, a participle after its noun (a name given)
    ("received", "The actor was congratulated by the film council for his work."),
    ("received", "The company is expected to launch the phone next year."),
    ("received", "The bill is expected to pass next week."),
    ("received", "The prize went to a charity called Save the Pier."),
    # content that only points back
    ("placeholder", "Ana Silva rejected this position."),
    ("placeholder", "The mayor endorsed it on Monday."),
    # when or where
    ("circumstance", "The minister commented on Monday."),
    # the writer's or a reader's own voice outside quotation marks (issue 20)
    ("own_voice", "I think the harbour tax is a fair price for a cleaner town."),
    ("own_voice", "We expect the ruling to come in the middle of the campaign."),
    ("own_voice", "That suggests the harbour plan will fail within a year."),
    # an interviewer's question is not the interviewee's words
    ("question_asked", "Asked whether he would stand again, Tom Reed smiled."),
    # a verb of finding without a clause of its own
    ("no_finite_clause", "Ana Silva found the new striker to be a difficult opponent."),
    # the writer's voice through the verb above ("we need to know"), and nobody in particular
    ("own_voice", "Before the vote we need to know whether the harbour tax will rise."),
    ("own_voice", "Everybody knows the ferry will be late again this winter."),
    # a passive with a filler subject and no agent: nobody said or holds it
    ("no_holder", "It was announced on Friday that the pier would close for repairs."),
    ("no_holder", "By the spring it was widely thought that the road was closed."),
    # data, not a speaker
    ("data_source", "According to the latest figures, ferry fares rose by a tenth last year."),
    ("data_source", "Ferry fares rose by a tenth last year, according to official data."),
    # a question asked of oneself
    ("inner_speech", "Tom Reed wondered whether the harbour would ever reopen."),
]
NEVER_CONTENT: list[str] = [
    # an addressee
    "Talking to international media, the mayor said little.",
    "The coach argued with the referee.",
    # a topic, not what was said (a verb or a noun of speech)
    "Maria Lopez talked about the harbour tax for an hour.",
    "The minister responded to the charges on Monday.",
    "Those who commented on the proposals met the minister.",
    "The mayor faced questions about the bridge.",
    "His comments on the radio show were brief.",
    # a verb that is not one of speech or thought, or not in this use
    "The specials include the singer Ana Silva hosting a concert.",
    "The rules limit what people can do with the files.",
    "The firm issued updates to patch the holes.",
    "Fans chanted slogans outside the ground.",
    # a plan, an expectation or an act
    "The company plans to open a store in Leeds.",
    "The firm expects to launch the phone next year.",
    "Ana Silva decided to run for mayor.",
    "The singer has struggled to repeat its success.",
    # a topic after a noun; a noun of stance in another sense
    "Three claims about the mayor surfaced in May.",
    "Dealers expect rising demand for fuel in the spring.",
    # what is answered, and a name given through a misparsed clause
    "Tom Reed will answer questions sent by the public.",
    "An umbrella group called the Harbour Trust has been set up by six charities.",
    # a name given or a call made: a verb of naming needs the name too
    "Tom Reed called the football association.",
    "Tom Reed called the football association on Monday.",
    # a verb of appearance: nobody holds what it reports
    "The senator seemed to gain ground in Iowa.",
]


@pytest.mark.parametrize(("name", "text"), NOT_REPORTED_CASES)
def test_not_reported(quotes_of: Extract, name: str, text: str) -> None:
    assert name in {entry.name for entry in NOT_REPORTED}
    assert [q.text for q in quotes_of(text) if q.kind in ("indirect", "stance", "mixed")] == []


def test_every_not_reported_entry_has_cases() -> None:
    assert {entry.name for entry in NOT_REPORTED} == {name for name, _ in NOT_REPORTED_CASES}


@pytest.mark.parametrize("text", NEVER_CONTENT)
def test_never_content(quotes_of: Extract, text: str) -> None:
    assert [q.text for q in quotes_of(text) if q.kind in ("indirect", "stance", "mixed")] == []


@pytest.mark.parametrize(
    "text",
    [
        # negated belief is still a position
        "Ana Silva does not think the harbour plan will work.",
        # a place that is what is called for
        "The union called for a ban on flights over Iraq.",
        # figures with the body that published them: the body's statement
        "According to figures from the Harbour Authority, fares rose by a tenth last year.",
        # a passive with its agent, or with a person told
        "It was announced by the council that the pier would close.",
        "Tom Reed was told that the road was closed.",
    ],
)
def test_still_reported(quotes_of: Extract, text: str) -> None:
    assert [q for q in quotes_of(text) if q.kind in ("indirect", "stance", "mixed")]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # a passive speech verb: its subject is spoken to; its agent, if any, speaks
        ("Tom Reed was told by the police that the road was closed.", "the police"),
        ("Tom Reed was told that the road was closed.", None),
    ],
)
def test_passive_speech_verb_speaker(quotes_of: Extract, text: str, written: str | None) -> None:
    [quote] = [q for q in quotes_of(text) if q.kind == "indirect"]
    assert (quote.text, quote.speaker_text) == ("the road was closed", written)


def test_speech_clause_comes_before_stance(quotes_of: Extract) -> None:
    # "urge" is a speech verb too: with a clause it is reported speech, not a stance
    [quote] = [
        q for q in quotes_of("Ana Silva urged that the bridge be closed.") if q.kind == "indirect"
    ]
    assert quote.rule == "reported_clause" and quote.text == "the bridge be closed"


def test_table_is_consistent() -> None:
    lemmas = [cue.lemma for cue in STANCE_CUES]
    assert len(lemmas) == len(set(lemmas)), "a verb has two rows"
    assert {shape for cue in STANCE_CUES for shape in cue.content} == set(Content)
    assert [r.name for r in REPORT_RULES] == [
        "according_to",
        "reported_clause",
        "stance",
        "clause_complement",
        "speech_topic",
        "speech_object",
        "noun_stance",
    ]


def test_a_clause_with_a_speech_verb_of_its_own_is_one_statement(quotes_of: Extract) -> None:
    text = (
        "Ana Silva said the town felt let down by the council on rates "
        "and the rivals were not asking the hard questions."
    )
    [quote] = [q for q in quotes_of(text) if q.kind == "indirect"]
    assert quote.text.endswith("asking the hard questions")


@pytest.mark.parametrize(
    ("text", "content"),
    [
        # two statements are two quotes (issue 20)
        (
            "Tom Reed told the paper that truancy was bad and said firm action was needed.",
            "truancy was bad",
        ),
        (
            "Half of those asked said they trusted the mayor, with a third saying they did not.",
            "they trusted the mayor",
        ),
    ],
)
def test_a_reported_clause_stops_at_the_next_statement(
    quotes_of: Extract, text: str, content: str
) -> None:
    quotes = [q for q in quotes_of(text) if q.kind == "indirect"]
    [first] = [q for q in quotes if q.text.endswith(content)]
    assert first.speaker_text is not None and first.speaker_text.startswith(("Tom", "Half"))
    # the second statement, where one is made, has the same speaker ("… and said …")
    assert all(q.speaker_text == first.speaker_text for q in quotes if "said" in text[: q.start])


@pytest.mark.parametrize(
    ("text", "content"),
    [
        # the parser cut the clause before its own verb: it runs to the end of its sentence
        (
            "Tom Reed, director of the harbour trust, said who was able to close the pier was "
            "not the main issue.",
            "who was able to close the pier was not the main issue",
        ),
        (
            "The board said the current permits run out soon so must be renewed.",
            "the current permits run out soon so must be renewed",
        ),
        # and never over a paragraph break
        (
            "The firm reported that losses had risen from one to two million\n\nwhile sales fell.",
            "losses had risen from one to two million",
        ),
    ],
)
def test_a_reported_clause_ends_where_its_statement_ends(
    quotes_of: Extract, text: str, content: str
) -> None:
    assert [q.text for q in quotes_of(text) if q.kind == "indirect"] == [content]


# Who a speaker resolves to (issue 20: the nearest name is not the speaker by default): the
# text, the speaker as written, and the name it resolves to (None: no name rather than a guess)
RESOLVED: list[tuple[str, str, str | None]] = [
    # someone unnamed spoke after the last named person: "he" is them, not that person
    (
        "Maria Lopez runs the harbour trust. But a spokesman said the trust could do little. "
        '"The rest is up to the council," he said.',
        "he",
        None,
    ),
    # a name that describes the speaker is not the speaker
    (
        '"We will appeal," Maria Lopez\'s chief aide said on Monday.',
        "Maria Lopez's chief aide",
        None,
    ),
    # "the company" is an organisation that was itself a subject, never the last one named
    (
        "Harbourline said its new scanner, the Seawatch 3, would ship in May. "
        '"Orders are strong," the company said.',
        "the company",
        "Harbourline",
    ),
    # the object of the verb above speaks an infinitive's words
    (
        "The bank held rates, leading some analysts to argue that rates had peaked.",
        "some analysts",
        None,
    ),
    # a role coordinated with a name: the name
    (
        '"Entries doubled this year," said festival founder and director Elliot Marsh.',
        "festival founder",
        "Elliot Marsh",
    ),
    # a nationality is a person written of before, not the country
    (
        'Ivan Petrov beat Tom Reed in three sets on Sunday. "I served well all week," the '
        "Russian said.",
        "the Russian",
        "Ivan Petrov",
    ),
    # "he" after an unnamed nationality became a subject is that person, not the one before
    (
        'Mark Reed will miss the open, said team doctor Hamish Cole. "It will take weeks to '
        'heal," said Cole. The Australian still hopes to play. "I will try to play," he said.',
        "he",
        None,
    ),
    # a player's role: the player, not the club that describes him
    (
        'Tom Reed scored twice for Chelsea on Saturday. "We deserved the win," the Chelsea '
        "striker said.",
        "the Chelsea striker",
        "Tom Reed",
    ),
    # "the manager said of X": whom the words are about is not who says them
    (
        "Tom Reed has run Harbour Town for a decade. Ana Silva scored twice on Saturday. "
        '"She was superb," the manager said of Silva.',
        "the manager",
        "Tom Reed",
    ),
    (
        "Tom Reed has run Harbour Town for a decade. Ana Silva scored twice on Saturday. "
        'Speaking about Silva, the manager said: "She was superb."',
        "the manager",
        "Tom Reed",
    ),
    ('Of Ana Silva, the manager said: "She was superb today."', "the manager", None),
    # a place that describes the subject does not speak
    (
        "Press reports in China said the harbour factory would close in May.",
        "Press reports in China",
        None,
    ),
    (
        "Figures from the UK's regulator Ofcom showed that phone bills had fallen.",
        "Figures from the UK's regulator",
        None,
    ),
]


@pytest.mark.parametrize(("text", "written", "name"), RESOLVED)
def test_resolved_speaker(quotes_of: Extract, text: str, written: str, name: str | None) -> None:
    quotes = [q for q in quotes_of(text) if q.speaker_text == written]
    assert quotes, [(q.text, q.speaker_text) for q in quotes_of(text)]
    assert {q.speaker.name if q.speaker else None for q in quotes} == {name}
