"""Interview transcripts: the answer paragraphs of each interviewee turn, found from the turn
labels the Wikinews convention uses (``((Jane Doe))``, or ``Jane Doe:`` beside ``((WN))``)."""

import re
from collections import defaultdict
from dataclasses import dataclass

_paren_label_re = re.compile(r"^\(\(([^()\n]{1,60})\)\)[ \t]*", re.MULTILINE)
_colon_label_re = re.compile(r"^([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}):[ \t]+", re.MULTILINE)
# a question-and-answer layout: "Q: …" then "A: …" (or "Question:" / "Answer:")
_qa_label_re = re.compile(r"^[ \t]*(Q|A|Question|Answer):[ \t]+", re.MULTILINE)
# labels of the interviewer's questions
_INTERVIEWERS = frozenset({"WN", "WIKINEWS", "Q", "INTERVIEWER"})


@dataclass(frozen=True)
class Answer:
    name_start: int  # the label naming the speaker
    name_end: int
    start: int  # one paragraph of the answer
    end: int


@dataclass(frozen=True)
class _Turn:
    label: str
    name_start: int
    name_end: int
    start: int  # first character after the label
    line_end: int


def interview_answers(text: str) -> list[Answer]:
    """Each paragraph an interviewee says, labels excluded; paragraphs after a turn's first one
    count until the next label. Labels of people who mostly ask questions are interviewers."""
    turns = _turns(text)
    if not any(t.label.upper() in _INTERVIEWERS for t in turns):
        return []
    asks: dict[str, list[bool]] = defaultdict(list)
    for turn in turns:
        asks[turn.label].append(text[turn.start : turn.line_end].rstrip().endswith("?"))
    interviewers = {
        label
        for label, questions in asks.items()
        if label.upper() in _INTERVIEWERS or sum(questions) * 2 >= len(questions)
    }
    answers = []
    for turn, following in zip(turns, [*turns[1:], None], strict=True):
        if turn.label in interviewers:
            continue
        paragraphs = [(turn.start, turn.line_end)]
        if following is not None:
            paragraphs += _lines(text, turn.line_end, following.name_start - 2)
        answers += [
            Answer(turn.name_start, turn.name_end, start, end)
            for start, end in paragraphs
            if end > start
        ]
    return answers


def turn_labels(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_interviewer) of every turn label in a transcript."""
    turns = _turns(text)
    if not any(t.label.upper() in _INTERVIEWERS for t in turns):
        return []
    speakers = {(a.name_start, a.name_end) for a in interview_answers(text)}
    return [(t.name_start, t.name_end, (t.name_start, t.name_end) not in speakers) for t in turns]


def interviewer_turns(text: str) -> list[tuple[int, int]]:
    """(start, end) of each interviewer's question, its label and first paragraph: the turns
    of ``((WN))`` and of a ``Q:`` / ``A:`` layout (issue 20: never the interviewee's words)."""
    turns = _turns(text)
    if any(t.label.upper() in _INTERVIEWERS for t in turns):
        speakers = {(a.name_start, a.name_end) for a in interview_answers(text)}
        return [
            (t.name_start, t.line_end) for t in turns if (t.name_start, t.name_end) not in speakers
        ]
    labels = list(_qa_label_re.finditer(text))
    questions = [m for m in labels if m.group(1).upper().startswith("Q")]
    if len(questions) < 2 and not (questions and len(labels) > len(questions)):
        return []
    bounds = [m.start() for m in labels[1:]] + [len(text)]
    return [
        (m.start(), min(end, _paragraph_end(text, m.end())))
        for m, end in zip(labels, bounds, strict=True)
        if m.group(1).upper().startswith("Q")
    ]


def _paragraph_end(text: str, start: int) -> int:
    end = text.find("\n\n", start)
    return len(text) if end == -1 else end


def _turns(text: str) -> list[_Turn]:
    found = [(m, m.start(1), m.end(1)) for m in _paren_label_re.finditer(text)]
    if found:
        found += [(m, m.start(1), m.end(1)) for m in _colon_label_re.finditer(text)]
    turns = []
    for match, name_start, name_end in sorted(found, key=lambda f: f[1]):
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end == -1 else line_end
        end = match.end() + len(text[match.end() : line_end].rstrip())
        label = text[name_start:name_end].strip()
        turns.append(_Turn(label, name_start, name_end, match.end(), end))
    return turns


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        line = match.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            spans.append((start + match.start() + lead, start + match.start() + len(line.rstrip())))
    return spans
