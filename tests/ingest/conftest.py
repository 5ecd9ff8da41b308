"""A blank English pipeline saved to disk: fast, deterministic, and loaded like any model."""

import pytest
import spacy


@pytest.fixture(scope="session")
def blank_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("models") / "blank_en"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(path)
    return str(path)
