"""Readers' comments and interviewers' questions are nobody's reported words (issue 20): the
section rules of ``app.nlp.sections``, each with its cases (texts written for these tests)."""

import pytest

from app.nlp.interviews import interviewer_turns
from app.nlp.sections import SECTION_RULES, unquoted_sections
from tests.nlp.test_quotes import Extract

ARTICLE = (
    "The harbour board has approved a new ferry timetable for the winter months.\n\n"
    'Board chair Ana Ruiz said the change would "keep the island connected" all year.\n\n'
    "The first winter sailings begin in November, the board said.\n\n"
)
COMMENTS = [
    "I think the mayor promised us this years ago and nothing happened.",
    "My brother takes the early boat every day and says it is always late!",
    "Why does nobody ask the people who actually live on the island?",
    "We were told the same thing in 2010. I will believe it when I see it.",
    "Great news for my family, we can finally visit in January.",
    "I doubt the board has thought about the cost of the extra crews.",
    "You cannot run a ferry on promises alone.",
    "I hope they keep the late sailing on Fridays, my shift ends at ten.",
    "Our council says the harbour tax will pay for it, but I doubt it.",
]
HEADED = ARTICLE + "Your comments:\n\n" + "\n\n".join(COMMENTS[:3])
SIGNED = (
    ARTICLE
    + "I think the mayor promised us this years ago and the board said nothing.\n"
    + "Tom Baker, Leeds, UK\n\n"
    + "My neighbour says the board will drop the plan by the spring.\n"
    + "Jo Hart, Cardiff\n\n"
)
UNSIGNED = ARTICLE + "\n\n".join(COMMENTS)

SECTIONS: list[tuple[str, str, str]] = [
    # (rule, text, the first words of the section it finds)
    ("comments_heading", HEADED, "I think the mayor"),
    ("signed_comments", SIGNED, "I think the mayor"),
    ("comment_run", UNSIGNED, "I think the mayor"),
    (
        "interviewer_turn",
        "((WN))  Did the board say the ferry would run in winter?\n\n"
        "((Ana Ruiz))  It will, from November.",
        "WN))  Did the board say",
    ),
]


@pytest.mark.parametrize(("rule", "text", "opening"), SECTIONS)
def test_section_rule(rule: str, text: str, opening: str) -> None:
    [found] = [r for r in SECTION_RULES if r.name == rule]
    [(start, end)] = found.find(text)
    assert text[start:end].lstrip().startswith(opening)


def test_every_section_rule_has_cases() -> None:
    assert {r.name for r in SECTION_RULES} == {rule for rule, _, _ in SECTIONS}


@pytest.mark.parametrize(
    "text",
    [
        # an article with its own quotes in the first person is no comment section
        ARTICLE
        + "\n\n".join(f'"I think the timetable is better," rider {n} said.' for n in range(9)),
        # a football line-up is no run of signatures
        ARTICLE + "Reed, Hart, Baker, Lopez.\n\nSilva, Ruiz, Marsh.\n\n",
        ARTICLE,
    ],
)
def test_no_section(text: str) -> None:
    assert unquoted_sections(text) == []


@pytest.mark.parametrize("text", [HEADED, SIGNED, UNSIGNED])
def test_readers_comments_are_not_quotes(quotes_of: Extract, text: str) -> None:
    quotes = quotes_of(text)
    # the article's own quotes stay; nothing of the comments is listed
    assert [q for q in quotes if q.start < len(ARTICLE)]
    assert [q.text for q in quotes if q.start >= len(ARTICLE)] == []


def test_question_and_answer_layout() -> None:
    text = (
        "Ana Ruiz spoke to us after the vote.\n\n"
        "Q: You said the ferry would run all year. Why now?\n\n"
        "A: Because the island asked for it.\n\n"
        "Q: What did the board say?\n\n"
        "A: The board said yes."
    )
    assert [text[s:e] for s, e in interviewer_turns(text)] == [
        "Q: You said the ferry would run all year. Why now?",
        "Q: What did the board say?",
    ]


def test_interviewer_questions_are_not_quotes(quotes_of: Extract) -> None:
    text = (
        "Ana Ruiz chairs the harbour board.\n\n"
        "Q: The mayor said the ferry would stop in winter. Is that so?\n\n"
        "A: We have said the ferry will run all year, and it will.\n\n"
        "Q: What did the board decide?\n\n"
        "A: The board agreed that the first winter sailing would be in November."
    )
    quotes = quotes_of(text)
    assert not [q for q in quotes if "stop in winter" in q.text]
    assert [q for q in quotes if "first winter sailing" in q.text]


def test_wikinews_interviewer_turn_is_no_quote(quotes_of: Extract) -> None:
    text = (
        "((WN))  The mayor has said the harbour is too shallow. Is she right?\n\n"
        "((Ana Ruiz))  Yes. We measured it twice, and the survey showed that the channel "
        "had silted up.\n\n"
        "((WN))  What did you make of it?\n\n"
        "((Ana Ruiz))  Reasons:\n\n"
        "((WN))  And then?\n\n"
        "((Ana Ruiz))  ██ Depth: 4\n\n"
    )
    quotes = quotes_of(text)
    assert not [q for q in quotes if "too shallow" in q.text]
    answers = [q.text for q in quotes if q.rule == "interview_turn"]
    # an answer is a quote of its speaker; a heading or a chart line in an answer is not
    assert answers[0].startswith("Yes. We measured it twice")
    assert "Reasons:" not in answers and not [a for a in answers if a.startswith("██")]


def test_a_phrase_of_an_interviewers_question_is_no_quote(quotes_of: Extract) -> None:
    text = (
        "Tom Reed was named harbour master on Monday. Asked if he had been chosen in a "
        '"fair and open" contest, he replied: "The board chose me as it chose the last three."'
    )
    quotes = quotes_of(text)
    assert [q.text for q in quotes] == ["The board chose me as it chose the last three."]
