"""Reported speech and stance on short texts written for these tests."""

import pytest

from tests.nlp.test_quotes import Extract, only


class TestIndirectQuotes:
    def test_reported_speech_with_that(self, quotes_of: Extract) -> None:
        text = "Omar Haddad stressed that the company is open to new partners."
        [quote] = only(quotes_of(text), "indirect")
        assert quote.text == "the company is open to new partners"
        assert quote.cue == "stressed" and quote.speaker and quote.speaker.name == "Omar Haddad"

    def test_role_noun_resolves_to_the_person(self, quotes_of: Extract) -> None:
        text = "Ren Zhengfei met reporters. The executive said that sales would grow next year."
        [quote] = only(quotes_of(text), "indirect")
        assert quote.speaker_text == "The executive"
        assert quote.speaker and quote.speaker.name == "Ren Zhengfei"

    def test_unresolvable_description_is_kept_as_written(self, quotes_of: Extract) -> None:
        [quote] = only(quotes_of("A witness said that the car was red."), "indirect")
        assert quote.speaker_text == "A witness" and quote.speaker is None

    @pytest.mark.parametrize(
        ("text", "written"),
        [
            ("Next year, Tom Reed said, the harbour would stay open.", "Tom Reed"),
            ("The new bridge, officials say, will open in May.", "officials"),
            ("The tax, she added, would fall on small firms.", "she"),
        ],
    )
    def test_a_speech_verb_set_inside_its_clause_reports_it(
        self, quotes_of: Extract, text: str, written: str
    ) -> None:
        [quote] = only(quotes_of(text), "indirect")
        assert quote.text == text.rstrip(".") and quote.speaker_text == written

    @pytest.mark.parametrize(
        ("text", "content"),
        [
            (
                "Critics were quick to point out that the bridge cost twice the budget.",
                "the bridge cost twice the budget",
            ),
            ("Proposing a new tax on sugar was a brave move.", "a new tax on sugar"),
        ],
    )
    def test_content_without_a_subject_is_kept_with_no_speaker(
        self, quotes_of: Extract, text: str, content: str
    ) -> None:
        [quote] = quotes_of(text)
        assert quote.text == content
        assert quote.speaker_text is None and quote.speaker is None and quote.confidence == 0

    @pytest.mark.parametrize(
        ("text", "reported"),
        [
            (
                "Maria Lopez said that the board thought the merger would fail.",
                "the board thought the merger would fail",
            ),
            (
                "Tom Reed told reporters that his rivals believe the tax is unfair.",
                "his rivals believe the tax is unfair",
            ),
        ],
    )
    def test_a_clause_inside_reported_speech_is_not_a_second_quote(
        self, quotes_of: Extract, text: str, reported: str
    ) -> None:
        quotes = [q for q in quotes_of(text) if q.kind in ("indirect", "stance", "mixed")]
        assert [q.text for q in quotes] == [reported]


class TestMoreIndirect:
    def test_clause_before_the_attribution(self, quotes_of: Extract) -> None:
        text = "Interest rates will rise again next year, the Bank of England said."
        [quote] = only(quotes_of(text), "indirect")
        assert quote.text == "Interest rates will rise again next year"
        assert quote.speaker and quote.speaker.name == "Bank of England"

    def test_according_to(self, quotes_of: Extract) -> None:
        text = "According to the World Health Organization, the outbreak has slowed in May."
        [quote] = only(quotes_of(text), "indirect")
        assert quote.text == "the outbreak has slowed in May"
        assert quote.cue == "according to"
        assert quote.speaker and quote.speaker.name == "World Health Organization"

    def test_clause_without_that(self, quotes_of: Extract) -> None:
        [quote] = only(
            quotes_of("Scientists at Oxford University reported the ice was thinning."), "indirect"
        )
        assert quote.text == "the ice was thinning"

    def test_verb_of_finding_reports_a_clause(self, quotes_of: Extract) -> None:
        text = "A survey by the Pew Research Center found that most voters distrust both parties."
        [quote] = only(quotes_of(text), "indirect")
        assert quote.text == "most voters distrust both parties"
        assert quote.cue == "found" and quote.speaker_text == "A survey by the Pew Research Center"
