"""The real spaCy model (pinned in the lock file); tests that need it skip when it is absent."""

import pytest
from spacy.language import Language

from app.nlp.entities import extract_entities
from app.nlp.pipeline import load_pipeline
from app.nlp.quotes import QuoteSpan, extract_quotes
from tests.conftest import MODEL


@pytest.fixture(scope="session")
def nlp() -> Language:
    try:
        return load_pipeline(MODEL)
    except OSError:
        pytest.skip(f"spaCy model {MODEL} is not installed")


@pytest.fixture
def quotes_of(nlp: Language):  # type: ignore[no-untyped-def]
    def run(text: str) -> list[QuoteSpan]:
        doc = nlp(text)
        return extract_quotes(doc, extract_entities(doc))

    return run
