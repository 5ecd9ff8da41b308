"""Parts of an article whose words are nobody's reported speech (issue 20): a section of readers'
comments, and an interviewer's questions in a transcript. A quote found there (other than an
interviewee's answer) is not listed: a reader's "I think" or "Bush tells us …" is no
attribution, and an interviewer's "what would you propose" is not the interviewee's words.

``SECTION_RULES`` are tried in order, each a named finder of (start, end) spans; cases in
``tests/nlp/test_sections.py``."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.nlp.interviews import interviewer_turns

# a heading that opens readers' comments ("Your comments:", "Have your say")
_heading_re = re.compile(
    r"^[ \t]*(?:your (?:comments|views|say)|readers'? (?:comments|views)|have your say|"
    r"comments|what you (?:said|think))[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# a reader's signature after a comment: "Jane Doe, Leeds, UK" or "Jane Doe, Leeds" on a line of
# its own, with no verb and no full stop
_signature_re = re.compile(
    r"^[ \t]*[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){1,3}(?:, ?[A-Z][\w'’-]*(?: [\w'’-]+){0,3}){1,3}"
    r"[ \t]*$",
    re.MULTILINE,
)
_paragraph_re = re.compile(r"[^\n]+")
# a paragraph in a reader's own voice: first person, or a cry or a question of its own
_personal_re = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|[Mm]y|me|myself|we|our|us|you|your)\b|(?:^|[.!?] )(?:We|Our|You|"
    r"Your|Let's)\b|[!?]\s*$"
)
# what is in quotation marks is someone's quoted words, not the writer's voice
_quoted_re = re.compile(r'"[^"\n]*"|“[^”\n]*”')
# an unsigned, unheaded run of readers' comments: at least this many paragraphs, most of them
# personal, after prose that is not
COMMENT_RUN = 8
PERSONAL_SHARE = 0.5
PROSE_PERSONAL_SHARE = 0.3
QUOTING_SHARE = 0.3


@dataclass(frozen=True)
class SectionRule:
    name: str
    find: Callable[[str], list[tuple[int, int]]]


def _after_heading(text: str) -> list[tuple[int, int]]:
    """Everything after a heading of readers' comments."""
    match = _heading_re.search(text)
    return [(match.end(), len(text))] if match else []


def _signed_comments(text: str) -> list[tuple[int, int]]:
    """From the paragraph before the first of two or more signature lines ("Jane Doe, Leeds")
    to the end: each comment is signed by a reader."""
    signatures = list(_signature_re.finditer(text))
    if len(signatures) < 2:
        return []
    first = signatures[0].start()
    start = text.rfind("\n", 0, max(0, text.rfind("\n", 0, first)))
    return [(start + 1 if start >= 0 else 0, len(text))]


def _comment_run(text: str) -> list[tuple[int, int]]:
    """Readers' comments printed after the article without heading or names: a run of at
    least ``COMMENT_RUN`` paragraphs to the end, most in the first person or a cry, after
    prose that mostly is not."""
    if "((" in text:
        return []  # a transcript's turns
    paragraphs = [(m.start(), m.end()) for m in _paragraph_re.finditer(text) if m.group().strip()]
    unquoted = [_quoted_re.sub("", text[s:e]) for s, e in paragraphs]
    personal = [bool(_personal_re.search(p)) for p in unquoted]
    quoting = [any(m in text[s:e] for m in '"“”') for s, e in paragraphs]
    for k in range(2, len(paragraphs) - COMMENT_RUN + 1):
        if not (personal[k] and personal[k + 1]) or quoting[k]:
            continue
        run, prose = personal[k:], personal[:k]
        if (
            sum(run) >= PERSONAL_SHARE * len(run)
            and sum(quoting[k:]) <= QUOTING_SHARE * len(run)
            and sum(prose) <= PROSE_PERSONAL_SHARE * len(prose)
        ):
            return [(paragraphs[k][0], len(text))]
    return []


def _interviewer(text: str) -> list[tuple[int, int]]:
    return interviewer_turns(text)


# in order; every span found is left out
SECTION_RULES: tuple[SectionRule, ...] = (
    SectionRule("comments_heading", _after_heading),
    SectionRule("signed_comments", _signed_comments),
    SectionRule("comment_run", _comment_run),
    SectionRule("interviewer_turn", _interviewer),
)


def unquoted_sections(text: str) -> list[tuple[int, int]]:
    """(start, end) of every part of ``text`` whose quotes are not listed. Comments are looked
    for only outside transcripts, whose turns say who speaks."""
    turns = _interviewer(text)
    if turns:
        return turns
    for rule in SECTION_RULES[:-1]:
        found = rule.find(text)
        if found:
            return found
    return []
