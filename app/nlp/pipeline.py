"""Loads the spaCy pipeline once and annotates texts in batches with entities and quotes."""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_suffix_regex

from app.nlp.entities import EntityMention, extract_entities
from app.nlp.quotes import QuoteSpan, extract_quotes

LONG_TEXT_CHARS = 20_000
# the lemmatizer is not needed: speech verbs are matched by their inflected forms
_EXCLUDED_COMPONENTS = ["lemmatizer"]


@dataclass(frozen=True)
class Annotation:
    entities: tuple[EntityMention, ...]
    quotes: tuple[QuoteSpan, ...]


# technical terms the stock tokenizer splits ("5G" → "5" "G", then tagged as a number):
# a number with one or two capitals, or a capitalised word with hyphenated parts ending in digits
_TERM_RE = re.compile(r"^(?:\d+[A-Z]{1,2}|[A-Z][A-Za-z]*(?:-[A-Za-z]+)*-\d+[A-Za-z]?)$")


@lru_cache(maxsize=2)
def load_pipeline(model: str) -> Language:
    nlp = spacy.load(model, exclude=_EXCLUDED_COMPONENTS)
    # token_match keeps a whole match as one token before prefixes and suffixes are split off:
    # https://spacy.io/usage/linguistic-features#tokenizer-custom
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, Tokenizer)
    tokenizer.token_match = _TERM_RE.match
    # and a full stop after such a term ends the sentence ("… is 5G.")
    suffixes = [*(nlp.Defaults.suffixes or ()), r"(?<=[0-9][A-Z])\."]
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    return nlp


def annotate(texts: Sequence[str], *, model: str, batch_size: int = 32) -> Iterator[Annotation]:
    """Run the pipeline over ``texts`` with ``nlp.pipe`` and yield one annotation per text."""
    nlp = load_pipeline(model)
    for doc in _docs(nlp, texts, batch_size):
        entities = extract_entities(doc)
        yield Annotation(entities=tuple(entities), quotes=tuple(extract_quotes(doc, entities)))


def _docs(nlp: Language, texts: Sequence[str], batch_size: int) -> Iterator[Doc]:
    """Docs in input order; long texts go through alone, because a batch is padded to its
    longest text: one 100k-character interview in a batch of 32 took peak memory from 0.6 to
    1.4 GiB (docs/benchmarks.md)."""
    short: list[str] = []
    for text in texts:
        if len(text) <= LONG_TEXT_CHARS:
            short.append(text)
            continue
        yield from nlp.pipe(short, batch_size=batch_size)
        short = []
        yield nlp(text)
    yield from nlp.pipe(short, batch_size=batch_size)
