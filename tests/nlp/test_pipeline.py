"""The loaded pipeline: technical terms stay whole, long texts do not change results."""

from spacy.language import Language

from app.nlp.pipeline import LONG_TEXT_CHARS, annotate
from tests.conftest import MODEL


def test_terms_stay_one_token(nlp: Language) -> None:
    doc = nlp("Its 5G and 4K plans met COVID-19 rules, as SARS-CoV-2 spread. All of it 5G.")
    tokens = [t.text for t in doc]
    for term in ("5G", "4K", "COVID-19", "SARS-CoV-2"):
        assert term in tokens
    assert tokens[-2:] == ["5G", "."]
    assert [t.text for t in nlp("a 10km walk")] == ["a", "10", "km", "walk"]  # units still split


def test_long_texts_annotate_like_short_ones(nlp: Language) -> None:
    short = 'Maria Lopez said: "We won." '
    long = short + "Filler words here. " * (LONG_TEXT_CHARS // 19 + 1)
    annotations = list(annotate([short, long, short], model=MODEL, batch_size=2))
    assert len(annotations) == 3
    assert annotations[0] == annotations[2]
    assert annotations[1].quotes[0].text == annotations[0].quotes[0].text == "We won."
