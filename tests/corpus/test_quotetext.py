"""Quotation rules: folding (a table of cases per step) and grouping (a table of pairs per rule,
with the cases that must stay apart)."""

import pytest

from app.corpus.quotetext import FOLDINGS, fold, grams, groupable, key_of, same_quotation

# (step, text, folded)
FOLDING_CASES = [
    ("won't", "We won’t stop", "we will not stop"),
    ("can't", "We can't stop", "we can not stop"),
    ("can't", "We cannot stop", "we can not stop"),
    ("n't", "We don’t know", "we do not know"),
    ("n't", "It isn't over", "it is not over"),
    ("'re", "We’re ready", "we are ready"),
    ("'ll", "They'll see", "they will see"),
    ("'ve", "We've won", "we have won"),
    ("i'm", "I’m sure", "i am sure"),
    ("apostrophe", "It's the players' union", "its the players union"),
    ("apostrophe", "O’Neill's team", "oneills team"),
    ("punctuation", "“We will win,” he", "we will win he"),
    ("punctuation", "«We will win»", "we will win"),
    ("punctuation", "'We will win...'", "we will win"),
    ("punctuation", "We will win -- and soon!", "we will win and soon"),
    ("whitespace", "We  will\n win", "we will win"),
    ("whitespace", "  We will win  ", "we will win"),
    # not a step of its own: accents and case always fold
    (None, "CAFÉ Déjà-vu", "cafe deja vu"),
]


@pytest.mark.parametrize(("step", "text", "folded"), FOLDING_CASES)
def test_folding_table(step: str | None, text: str, folded: str) -> None:
    assert fold(text) == folded


def test_every_folding_step_has_a_case() -> None:
    assert {f.name for f in FOLDINGS} <= {case[0] for case in FOLDING_CASES}


LONG = "we will not rest until every family in this country has a safe home"

# (rule, a, b, the same quotation?)
GROUPING_CASES = [
    ("same words", "We will win.", "“we will WIN”", True),
    ("same words", "Don't stop now, please", "do not stop now please", True),
    ("same words", "We’re not done yet", "We are not done yet", True),
    ("trimmed variant", LONG, "every family in this country has a safe home", True),
    ("trimmed variant", LONG, "We will not rest until every family in this", True),
    ("trimmed variant", "…until every family in this country has a safe home.", LONG, True),
    # too short to be a trimmed variant: seven words
    ("trimmed variant", LONG, "every family in this country has a", False),
    # a run of words, not any words in order
    ("trimmed variant", LONG, "we will not rest until every family has a safe home", False),
    # one word of difference is another quotation
    ("one word", "We will raise taxes next year", "We will not raise taxes next year", False),
    ("one word", "The plan is good for workers", "The plan is bad for workers", False),
]


@pytest.mark.parametrize(("rule", "a", "b", "same"), GROUPING_CASES)
def test_grouping_table(rule: str, a: str, b: str, same: bool) -> None:
    assert same_quotation(fold(a), fold(b)) is same
    assert same_quotation(fold(b), fold(a)) is same


@pytest.mark.parametrize(
    ("kind", "text", "grouped"),
    [
        ("direct", "No.", False),
        ("direct", "Yeah, right.", False),
        ("direct", "We have won the vote", True),
        ("block", "We have won the vote", True),
        ("partial", "a political whirlpool of sorts", True),
        ("mixed", "a political whirlpool of sorts", True),
        ("indirect", "that they had won the vote", False),
        ("stance", "endorsed the governor for the job", False),
    ],
)
def test_what_is_grouped(kind: str, text: str, grouped: bool) -> None:
    assert groupable(kind, fold(text)) is grouped


def test_a_trimmed_variant_shares_its_first_run_with_the_longer() -> None:
    short = fold("every family in this country has a safe home")
    assert key_of(" ".join(short.split()[:8])) in grams(fold(LONG))
