"""When two quotes are the same quotation (issue 19): their words after folding, and the rules
that group them, as data (tests/corpus/test_quotetext.py holds a table of cases per rule)."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

# kinds that carry the speaker's own words; indirect speech and stances are paraphrases
GROUPED_KINDS = frozenset({"direct", "block", "partial", "mixed"})
# fewer folded words than this ("No.", "Yeah, right.") are never grouped across articles
MIN_WORDS = 4
# a trimmed variant joins a longer occurrence when it is at least this long
MIN_TRIMMED_WORDS = 8


@dataclass(frozen=True)
class Folding:
    """One step of folding a quote's text, applied in order."""

    name: str
    pattern: re.Pattern[str]
    replacement: str


_APOSTROPHE = "['\u2019\u02bc]"

# stored quotations are keyed by folded text: a change here needs a migration that groups the
# quotes again (as 2026-12-07-1400_quotations does)
FOLDINGS = [
    # contractions spelled out, as outlets differ on them ("we're" and "we are"); 's and 'd
    # are left alone: is or has, would or had
    Folding("won't", re.compile(rf"\bwon{_APOSTROPHE}t\b"), "will not"),
    Folding("can't", re.compile(rf"\bcan{_APOSTROPHE}t\b|\bcannot\b"), "can not"),
    Folding("n't", re.compile(rf"(\w)n{_APOSTROPHE}t\b"), r"\1 not"),
    Folding("'re", re.compile(rf"(\w){_APOSTROPHE}re\b"), r"\1 are"),
    Folding("'ll", re.compile(rf"(\w){_APOSTROPHE}ll\b"), r"\1 will"),
    Folding("'ve", re.compile(rf"(\w){_APOSTROPHE}ve\b"), r"\1 have"),
    Folding("i'm", re.compile(rf"\bi{_APOSTROPHE}m\b"), "i am"),
    # any other apostrophe inside a word, in any style, is dropped: the players' union
    Folding("apostrophe", re.compile(r"(?<=\w)['\u2019\u02bc\u2032](?=\w)"), ""),
    # quotation marks of every style, and every other punctuation mark, end a word
    Folding("punctuation", re.compile(r"[^\w\s]|_"), " "),
    Folding("whitespace", re.compile(r"\s+"), " "),
]


def fold(text: str) -> str:
    """The quote's words as quotations compare them: accents and case folded, punctuation and
    quotation marks of any style removed, spaces collapsed (``FOLDINGS``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    value = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    for step in FOLDINGS:
        value = step.pattern.sub(step.replacement, value)
    return value.strip()


def groupable(kind: str, folded: str) -> bool:
    """Does this quote join a quotation at all (its kind, its length)?"""
    return kind in GROUPED_KINDS and len(folded.split()) >= MIN_WORDS


def same_quotation(a: str, b: str) -> bool:
    """The grouping rules over two folded texts: the same words, or the shorter (of at least
    ``MIN_TRIMMED_WORDS`` words) a contiguous run of the longer's words. A one-word difference
    is another quotation: one word can turn a statement around ("will" and "will not")."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short.split()) >= MIN_TRIMMED_WORDS and f" {short} " in f" {long} "


def key_of(folded: str) -> int:
    """A signed 64-bit key of a folded text or run of words (indexed lookups)."""
    digest = hashlib.blake2b(folded.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def grams(folded: str) -> list[int]:
    """The keys of every run of ``MIN_TRIMMED_WORDS`` words: a quotation whose longest form
    holds a trimmed variant shares the variant's first run."""
    words = folded.split()
    size = MIN_TRIMMED_WORDS
    return sorted({key_of(" ".join(words[i : i + size])) for i in range(len(words) - size + 1)})
