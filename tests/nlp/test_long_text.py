"""A long article annotated in parts (issue 8) against the same text annotated whole, with the
real model: the same quotes, speakers and entities at the same offsets, and offsets that index
the stored body."""

import json
import sqlite3
from pathlib import Path

import pytest
from spacy.language import Language
from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

from app.engines.connect import create_db_engine
from app.ingest import annotate
from app.ingest.annotate import Annotator, annotate_in_parts, split_text, text_parts
from app.ingest.run import ingest
from app.nlp import Annotation
from app.nlp.blas import openblas_on_one_thread
from tests.conftest import MODEL

_PEOPLE = [
    ("Ana Ruiz", "the harbour master"),
    ("Tomas Berg", "a fisherman from the north quay"),
    ("Marta Olsen", "the city treasurer"),
    ("Peter Hale", "the head of the port authority"),
    ("Lena Novak", "a marine engineer"),
    ("David Osei", "the mayor of Eastport"),
]
_PLACES = ["Eastport", "Norway", "Lisbon", "Glasgow", "Hamburg", "Cork"]


def _paragraphs(n: int) -> list[str]:
    """Paragraph ``n`` of a harbour story, in one of six shapes of quote."""
    name, role = _PEOPLE[n % len(_PEOPLE)]
    other, _ = _PEOPLE[(n + 2) % len(_PEOPLE)]
    place = _PLACES[n % len(_PLACES)]
    shapes = [
        [f'{name} said: "The new wall will stand a hundred years, we built it in {place}."'],
        [
            f'"We have waited twenty years for this harbour," said {name}, {role}.',
            f'"Every winter the boats in {place} were damaged by the storms. Next winter they '
            'will not be."',
        ],
        [f"{name} told reporters that the council in {place} would pay for the repairs by May."],
        [
            f"{name} told reporters:",
            f"The cost of the harbour wall has doubled since the plan was approved in {place}.",
        ],
        [
            f"According to {name}, the work on the north quay will take three more months.",
            f"{other} met the engineers in {place} on Tuesday to look at the plans again.",
        ],
        # a surname alone: the full name is only in the first paragraph, in the first part
        [f"Whitaker said that the boats would be back in {place} by the spring."],
    ]
    return shapes[n % len(shapes)]


def _article(paragraphs: int) -> str:
    lead = "Helen Whitaker, the new director of the port, opened the meeting in Eastport."
    return "\n\n".join([lead, *(p for n in range(paragraphs) for p in _paragraphs(n))]) + "\n"


Quote = tuple[int, int, str, str, str | None, int | None, int | None, str | None, str | None]
Mention = tuple[int, int, str, str, str]


def _facts(annotation: Annotation) -> tuple[list[Quote], list[Mention]]:
    quotes = [
        (
            q.start,
            q.end,
            q.text,
            q.kind,
            q.speaker_text,
            q.speaker_start,
            q.speaker_end,
            q.speaker.name if q.speaker else None,
            q.rule,
        )
        for q in annotation.quotes
    ]
    entities = [(m.start, m.end, m.text, m.label, m.name) for m in annotation.entities]
    return sorted(quotes, key=str), sorted(entities, key=str)


@pytest.fixture(scope="module")
def article() -> str:
    return _article(60)


@pytest.fixture(scope="module")
def whole(nlp: Language, article: str) -> Annotation:
    [annotation] = annotate_in_parts([article], model=MODEL, batch_size=8)
    assert len(text_parts(article)) == 1
    return annotation


class TestPartsAgainstWhole:
    def test_the_article_is_cut_and_every_cut_is_safe(self, article: str) -> None:
        parts = text_parts(article, whole_chars=1500)
        assert len(parts) >= 5
        for offset, part in parts[1:]:
            # never inside a quote that goes on in the next paragraph, nor after "said:"
            assert part[0] not in "\"“'—" and article[:offset].rstrip()[-1] not in ":;"

    def test_same_quotes_speakers_and_entities(self, whole: Annotation, article: str) -> None:
        [parted] = annotate_in_parts([article], model=MODEL, batch_size=8, part_chars=1500)
        quotes, entities = _facts(parted)
        assert (quotes, entities) == _facts(whole)
        kinds = {q[3] for q in quotes}
        assert {"direct", "indirect", "block"} <= kinds
        # a quote opening the paragraph after a quote keeps the speaker of the one before
        assert any(q[8] == "continues_previous" for q in quotes)
        # a surname in a later part takes the full name from the first part
        first_part_end = text_parts(article, whole_chars=1500)[1][0]
        assert any(
            q[4] == "Whitaker" and q[7] == "Helen Whitaker" and q[0] > first_part_end
            for q in quotes
        )
        for start, end, text, *_ in quotes:
            assert article[start:end] == text
        for start, end, text, *_ in entities:
            assert article[start:end] == text

    def test_same_through_the_worker_pool(
        self, whole: Annotation, article: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The workers are forks of this process, so they cut at the patched size too."""
        monkeypatch.setattr(annotate, "NLP_PART_CHARS", 1500)
        short = 'Ana Ruiz said: "It is done."'
        with Annotator(model=MODEL, batch_size=8, workers=2) as annotator:
            first, parted, last = annotator.submit([short, article, short])()
        assert isinstance(parted, Annotation)
        assert _facts(parted) == _facts(whole)
        assert first == last and isinstance(first, Annotation)
        assert [q.text for q in first.quotes] == ["It is done."]

    def test_offsets_index_the_stored_body(
        self, nlp: Language, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(annotate, "NLP_PART_CHARS", 1500)
        feed = tmp_path / "feed.jsonl"
        feed.write_text(json.dumps({"id": "long", "body": _article(30)}), encoding="utf-8")
        engine = create_db_engine(db_url)
        report = ingest([feed], engine=engine, model=MODEL, workers=2)
        assert (report.added, report.failed) == (1, 0)
        assert engine.url.database
        with sqlite3.connect(engine.url.database) as db:
            [(body,)] = db.execute("SELECT body FROM article").fetchall()
            quotes = db.execute('SELECT start, "end", text FROM quote').fetchall()
            speakers = db.execute(
                "SELECT speaker_start, speaker_end, speaker_text FROM quote WHERE speaker_start > 0"
            ).fetchall()
            whitaker = db.execute(
                "SELECT count(*) FROM quote JOIN entity ON entity.id = quote.speaker_entity_id"
                " WHERE speaker_text = 'Whitaker' AND entity.name = 'Helen Whitaker'"
            ).fetchall()
        assert len(quotes) >= 30 and len(speakers) >= 30
        assert body.rstrip() == _article(30).rstrip()  # cleaning had nothing to change
        for start, end, text in quotes:
            assert body[start:end] == text
        for start, end, speaker in speakers:
            assert body[start:end] == speaker
        assert whitaker == [(5,)]  # each "Whitaker said" is the Helen Whitaker of the first part


class TestCuts:
    def test_not_before_a_paragraph_that_carries_on_a_quote(self) -> None:
        text = (
            "Opening words. " * 5
            + "\n\nA paragraph of plain words. " * 20
            + '\n\n"And the quote goes on here."\n\nPlain words again.'
        )
        # the last blank line within the limit opens a quote: the cut goes to the one before
        limit = text.index('"And the quote') + 10
        offsets = [offset for offset, _ in split_text(text, limit)]
        assert offsets[:2] == [0, text.rindex("A paragraph")]

    def test_not_after_a_line_that_introduces_a_block_quote(self) -> None:
        text = "Plain words here. " * 10 + "\n\nShe said:\n\nThe wall is done.\n\nMore words."
        limit = text.index("More words") - 1
        parts = [part for _, part in split_text(text, limit)]
        assert all(not part.rstrip().endswith(":") for part in parts[:-1])
        assert any(part.startswith("She said:\n\nThe wall is done.") for part in parts)

    def test_a_text_up_to_the_limit_is_annotated_whole(self) -> None:
        text = "word " * 300
        assert text_parts(text, whole_chars=len(text)) == [(0, text)]
        assert len(text_parts(text + "x", whole_chars=len(text))) > 1


def test_openblas_is_limited_to_one_thread() -> None:
    """The model multiplies with numpy's OpenBLAS only when it runs on one thread (two threads
    per worker cost more CPU than BLIS)."""
    assert openblas_on_one_thread()
    openblas = [lib for lib in threadpool_info() if lib["internal_api"] == "openblas"]
    assert openblas and all(lib["num_threads"] == 1 for lib in openblas)
