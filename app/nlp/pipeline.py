"""Loads the spaCy pipeline once and annotates texts in batches with entities and quotes."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language

from app.nlp.entities import EntityMention, extract_entities
from app.nlp.quotes import QuoteSpan, extract_quotes

# the lemmatizer is not needed: speech verbs are matched by their inflected forms
_EXCLUDED_COMPONENTS = ["lemmatizer"]


@dataclass(frozen=True)
class Annotation:
    entities: tuple[EntityMention, ...]
    quotes: tuple[QuoteSpan, ...]


@lru_cache(maxsize=2)
def load_pipeline(model: str) -> Language:
    return spacy.load(model, exclude=_EXCLUDED_COMPONENTS)


def annotate(texts: Sequence[str], *, model: str, batch_size: int = 32) -> Iterator[Annotation]:
    """Run the pipeline over ``texts`` with ``nlp.pipe`` and yield one annotation per text."""
    nlp = load_pipeline(model)
    for doc in nlp.pipe(texts, batch_size=batch_size):
        entities = extract_entities(doc)
        yield Annotation(entities=tuple(entities), quotes=tuple(extract_quotes(doc, entities)))
