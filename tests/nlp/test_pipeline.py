"""The loaded pipeline: technical terms stay whole, long texts do not change results."""

from spacy.language import Language

from app.nlp.pipeline import LONG_TEXT_CHARS, _capital_lines, _casing, _recase, annotate
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


def test_capital_lines_are_found_and_recased(nlp: Language) -> None:
    text = "CYCLING - MARTINEZ WINS THE STAGE .\nIn the rain, Martinez wins the stage ."
    assert _capital_lines(text) == [(0, 35)]
    casing = _casing(text, _capital_lines(text))
    assert _recase(text[:35], casing, nlp) == "Cycling - Martinez wins the stage ."


def test_names_in_a_capital_headline_are_found(nlp: Language) -> None:
    text = (
        "SOCCER - HAMBURG SIGN MIDFIELDER FROM BRAZIL .\n"
        "Hamburg signed the Brazilian midfielder on Friday ."
    )
    [annotation] = annotate([text], model=MODEL)
    headline = [(m.text, m.label) for m in annotation.entities if m.end <= 46]
    assert ("BRAZIL", "GPE") in headline
    assert not any(text == "SOCCER" for text, _ in headline)
