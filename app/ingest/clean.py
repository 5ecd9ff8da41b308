"""Text cleaning for scraped articles: fixes layout damage without changing what the text says."""

import re

# lines a scraper picks up from page navigation; dropped only at the very end of a body
NAVIGATION_RESIDUE = frozenset(
    {
        "top",
        "back to top",
        "return to top",
        "share",
        "share this",
        "print",
        "email",
        "advertisement",
        "related",
        "related stories",
        "more",
        "comments",
        "home",
    }
)
_line_end_space_re = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+$", re.MULTILINE)
_inline_space_re = re.compile(r"[\u00a0\u2000-\u200a\u202f\u3000]")
# control characters other than tab and newline carry no text (and \x02/\x03 mark snippets)
_control_re = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_many_blank_lines_re = re.compile(r"\n{3,}")
# a line that continues the one before: it opens with a comma, lower-case word or closing mark
_continuation_re = re.compile(r"\n(?=[,;:.)\]!?]|[a-z])")
# "situation.We" → "situation. We": a sentence glued to the next by a dropped space
_glued_sentence_re = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
# two apostrophes written for a double quotation mark (''like this'', as some wire and archive
# feeds do): one mark, so that quotes read alike in every source (issue 9)
_double_apostrophe_re = re.compile(r"(?<!['’])'{2,3}(?!['’])")
_sentence_end = '.!?:;"”’)…'


def clean_body(text: str) -> str:
    """Normalise whitespace, rejoin lines broken mid-sentence and drop trailing navigation."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _inline_space_re.sub(" ", text)
    text = _control_re.sub("", text)
    text = _double_apostrophe_re.sub(_double_mark, text)
    text = _line_end_space_re.sub("", text)
    text = _rejoin_broken_lines(text)
    text = _glued_sentence_re.sub(" ", text)
    lines = text.strip().split("\n")
    while lines and lines[-1].strip().casefold() in NAVIGATION_RESIDUE | {""}:
        lines.pop()
    return _many_blank_lines_re.sub("\n\n", "\n".join(lines)).strip()


def _double_mark(match: re.Match[str]) -> str:
    """Two apostrophes are one double mark; three a double and a single one, the single inside
    (''' before a word opens "', after one closes '"); none between two letters is touched."""
    text, start, end = match.string, match.start(), match.end()
    if text[start - 1 : start].isalnum() and text[end : end + 1].isalnum():
        return match.group()
    if end - start == 2:
        return '"'
    return "\"'" if text[end : end + 1].isalnum() else "'\""


def _rejoin_broken_lines(text: str) -> str:
    """Join a line to the previous one when the break falls inside a sentence
    ("Ren Zhengfei, founder of Huawei" / ", said;")."""
    parts: list[str] = []
    last = 0
    for match in _continuation_re.finditer(text):
        before = text[last : match.start()]
        if before and before[-1] not in _sentence_end and before[-1] != "\n":
            parts.append(before)
            nxt = text[match.end()]
            parts.append("" if nxt in ",;:.)]!?" else " ")
            last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def clean_title(title: str) -> str:
    """One line, single spaces, no control characters."""
    return " ".join(_control_re.sub(" ", title).split())


def title_from_lead(body: str, max_length: int = 100) -> str:
    """A title for an article that has none: its first sentence, cut at a word boundary."""
    first_line = body.strip().split("\n", 1)[0]
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", first_line, maxsplit=1)[0].strip()
    if len(sentence) <= max_length:
        return sentence.rstrip(".")
    cut = sentence[:max_length].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:[-'’]\w+)*", text))
