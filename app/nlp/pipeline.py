"""Loads the spaCy pipeline once and annotates texts in batches with entities and quotes."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_suffix_regex, filter_spans
from thinc.api import use_ops

from app.nlp.blas import openblas_on_one_thread
from app.nlp.entities import EntityMention, extract_entities
from app.nlp.quotes import QuoteSpan, extract_quotes

LONG_TEXT_CHARS = 20_000
# the most characters in one nlp.pipe batch (the parser and NER hold the whole batch)
BATCH_CHARS = 100_000
# the lemmatizer is not needed: speech verbs are matched by their inflected forms
_EXCLUDED_COMPONENTS = ["lemmatizer"]


# the version of the rules in app/nlp: raise it with any change to what they extract, so that
# `corpus reannotate` redoes the articles annotated before (issue 20)
# 2: role words and names that are not people (app.nlp.names); 3: readers' comments and
# interviewers' questions are no quotes, narrower reported speech and speakers (issue 20);
# 4: person names made whole and retyped (app.nlp.personfix); 5: reported statements
# end at a semicolon and keep a closing "%", "according to" inside a clause, terms in marks
# with a cue, "the spokesman" after an unnamed one, "The Tories" (issue 20)
EXTRACTION_VERSION = 5


@dataclass(frozen=True)
class Annotation:
    entities: tuple[EntityMention, ...]
    quotes: tuple[QuoteSpan, ...]
    # quotes in the headline, with offsets into the title (app.nlp.headlines)
    title_quotes: tuple[QuoteSpan, ...] = ()


@lru_cache(maxsize=4)
def extraction_version(model: str) -> str:
    """What an article's annotation was made with: the model's name and version and the rules'
    version (``EXTRACTION_VERSION``), e.g. ``en_core_web_sm==3.8.0; rules 1``."""
    version = spacy.util.get_package_version(model)
    if version is None and Path(model).is_dir():  # a model loaded from a folder
        meta = spacy.util.get_model_meta(Path(model))
        model, version = f"{meta.get('lang', '')}_{meta.get('name', '')}", meta.get("version")
    return f"{model}=={version or 'unknown'}; rules {EXTRACTION_VERSION}"


# technical terms the stock tokenizer splits ("5G" → "5" "G", then tagged as a number):
# a number with one or two capitals, or a capitalised word with hyphenated parts ending in digits
_line_re = re.compile(r"[^\n]+")
_word_split_re = re.compile(r"(\W+)")
# a word not at the start of a sentence or line, where capitals tell names from other words
_cased_word_re = re.compile(r"(?<=[^\s.!?\"“])\s+([A-Za-z][a-z]+|[a-z]+)\b")
_TERM_RE = re.compile(r"^(?:\d+[A-Z]{1,2}|[A-Z][A-Za-z]*(?:-[A-Za-z]+)*-\d+[A-Za-z]?)$")


@lru_cache(maxsize=2)
def load_pipeline(model: str) -> Language:
    """The model, loaded once per process. Its layers multiply matrices with numpy (OpenBLAS,
    on one thread) rather than thinc's BLIS: the same tags, morphology, parses, sentences and
    entities on 122,120 tokens of the corpus, at 37% less CPU (8.0 s against 12.7 s, issue 8)."""
    with use_ops("numpy", use_blis=not openblas_on_one_thread()):
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
        recase_capital_lines(nlp, doc)
        entities = extract_entities(doc)
        yield Annotation(entities=tuple(entities), quotes=tuple(extract_quotes(doc, entities)))


def _capital_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of lines written in capitals: headlines and datelines ("CRICKET -
    LEICESTERSHIRE TAKE OVER AT TOP", "MADRID 1996-08-30")."""
    lines = []
    for match in _line_re.finditer(text):
        letters = [c for c in match.group() if c.isalpha()]
        if len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
            lines.append((match.start(), match.end()))
    return lines


def _recase(line: str, casing: dict[str, str], nlp: Language) -> str:
    """Each word as the rest of the text writes it ("PASSPORT" → "passport" when the body has
    "passport", "SILVA" → "Silva"), else title case, function words in lower case. Same length,
    so offsets carry over."""
    cased = []
    for word in _word_split_re.split(line):
        lower = word.lower()
        if lower in casing:
            cased.append(casing[lower])
        elif nlp.vocab[lower].is_stop:
            cased.append(lower)
        else:
            cased.append(word.capitalize())
    recased = "".join(cased)
    return recased if len(recased) == len(line) else line


def _casing(text: str, lines: list[tuple[int, int]]) -> dict[str, str]:
    """How the text outside capital lines writes each word, not counting sentence starts."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    previous_end = 0
    for start, end in [*lines, (len(text), len(text))]:
        for match in _cased_word_re.finditer(text, previous_end, start):
            word = match.group(1)
            if not word.isupper():
                votes[word.lower()][word] += 1
        previous_end = end
    return {lower: forms.most_common(1)[0][0] for lower, forms in votes.items()}


def recased_headline(nlp: Language, title: str, body: str) -> str:
    """A headline in capitals or Title Case with each word as the body writes it (the parser
    reads "Union Says Deal Is Dead" as names); other headlines as they are. Same length."""
    words = re.findall(r"[^\W\d_][\w'’-]*", title)
    capitals = sum(word[0].isupper() for word in words)
    if len(words) < 3 or capitals < 0.6 * len(words):
        return title
    return _recase(title, _casing(body, []), nlp)


def recase_capital_lines(nlp: Language, doc: Doc) -> None:
    """The model reads names by their capitals, so a line in capitals is all names or none:
    its entities come from the line re-cased and run again (same offsets)."""
    body = doc.text
    lines = _capital_lines(body)
    if not lines:
        return
    casing = _casing(body, lines)
    texts = [_recase(body[start:end], casing, nlp) for start, end in lines]
    found: list[Span] = []
    for (start, _), line_doc in zip(lines, nlp.pipe(texts), strict=True):
        for ent in line_doc.ents:
            span = doc.char_span(start + ent.start_char, start + ent.end_char, label=ent.label_)
            if span is not None:
                found.append(span)
    kept = [e for e in doc.ents if not any(s < e.end_char and e.start_char < e_ for s, e_ in lines)]
    doc.set_ents(filter_spans([*kept, *found]), default="unmodified")


def _docs(nlp: Language, texts: Sequence[str], batch_size: int) -> Iterator[Doc]:
    """Docs in input order; long texts go through alone, because a batch is padded to its
    longest text: one 100k-character interview in a batch of 32 took peak memory from 0.6 to
    1.4 GiB (docs/benchmarks.md). A batch also stops at ``BATCH_CHARS``, so that 64 parts of a
    long article are not annotated at once."""
    short: list[str] = []
    chars = 0
    for text in texts:
        if len(text) > LONG_TEXT_CHARS:
            yield from nlp.pipe(short, batch_size=batch_size)
            short, chars = [], 0
            yield nlp(text)
            continue
        if short and chars + len(text) > BATCH_CHARS:
            yield from nlp.pipe(short, batch_size=batch_size)
            short, chars = [], 0
        short.append(text)
        chars += len(text)
    yield from nlp.pipe(short, batch_size=batch_size)
