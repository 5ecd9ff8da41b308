"""The clean stage: a ``RawArticle`` becomes a ``PreparedArticle`` (mojibake repaired, layout
damage fixed without changing what the text says, a title, a content hash), or a
``RecordError`` when no article is left."""

import hashlib
import re
from dataclasses import dataclass

import ftfy

from app.ingest.record import RawArticle, RecordError

# a body needs this many letters or digits to be an article (a 1-character body is not one)
MIN_BODY_CHARS = 5

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
# UTF-8 read as Windows-1252 turns a lead byte (C2–F4) into Â…ô and the continuation byte
# after it into a C1 position: ASCII-range \x80–\xbf or one of cp1252's substitutes there
_mojibake_re = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)


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


def headline_of(title: str, body: str) -> str:
    """The title as a headline to find quotes in, or "" when it is only the body's lead sentence
    (``title_from_lead``: its quotes are the body's)."""
    return "" if title == title_from_lead(body) else title


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:[-'’]\w+)*", text))


@dataclass(frozen=True)
class PreparedArticle:
    """A record after cleaning, ready to be compared with what is stored."""

    raw: RawArticle
    title: str
    body: str
    content_hash: str
    word_count: int


def prepare(raw: RawArticle) -> PreparedArticle | RecordError:
    body = clean_body(fix_mojibake(raw.body))
    if not body:
        return RecordError("body is empty after cleaning", path=raw.path, line=raw.line)
    letters = sum(char.isalnum() for char in body[: MIN_BODY_CHARS * 10])
    if letters < MIN_BODY_CHARS:
        return RecordError(
            f"body too short to be an article ({len(body)} character(s); "
            f"at least {MIN_BODY_CHARS} letters or digits needed)",
            path=raw.path,
            line=raw.line,
        )
    title = clean_title(fix_mojibake(raw.title) if raw.title else title_from_lead(body))
    digest = hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
    return PreparedArticle(
        raw=raw, title=title, body=body, content_hash=digest, word_count=word_count(body)
    )


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded as Windows-1252 somewhere upstream ("SchrÃ¶der"); ftfy
    leaves text alone unless the repair is unambiguous: https://ftfy.readthedocs.io/"""
    if text.isascii() or not _mojibake_re.search(text):
        return text  # ftfy costs ~0.8 s per MB even when there is nothing to fix
    return ftfy.fix_encoding(text)
