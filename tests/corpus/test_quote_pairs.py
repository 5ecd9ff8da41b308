"""The labelled quote pairs (eval/quote_pairs.py): the grouping rules keep pair precision at
0.98 or more and recall at 0.95 or more; the labels hold ids, offsets and edits, never text."""

import json

import pytest

from eval.quote_pairs import LABELS, load_labels, score
from eval.story_pairs import load_corpus
from tests.conftest import SHARED_CORPUS


def test_the_labels_hold_no_text() -> None:
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        assert set(pair) == {"a", "b", "ops", "label", "kind"}
        for article_id, start, end in (pair["a"], pair["b"]):
            assert isinstance(article_id, str) and 0 <= start < end
        assert all(len(str(arg)) < 12 for op in pair["ops"] for arg in op)


@pytest.mark.corpus
def test_precision_and_recall_on_the_labelled_pairs() -> None:
    if not (SHARED_CORPUS / "articles.jsonl").is_file():
        pytest.skip("../shared/corpus is absent")
    total, _ = score(load_labels(), load_corpus(SHARED_CORPUS / "articles.jsonl"))
    assert total.precision >= 0.98
    assert total.recall >= 0.95
