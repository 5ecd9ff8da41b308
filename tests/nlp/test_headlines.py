"""Quotes in headlines (issue 20): the shapes that attribute, and the ones that only look
alike, on headlines and bodies written for these tests."""

import pytest
from spacy.language import Language

from app.nlp import annotate
from app.nlp.headlines import headline_quotes, with_headline
from tests.conftest import MODEL

# (headline, body, (kind, text, speaker as written, speaker resolved) or None for no quote)
CASES = [
    # a speaker, a colon and the words in quotation marks; the surname joins the body's name
    (
        "Blair: 'We will not retreat'",
        "Tony Blair spoke to MPs on Tuesday about the war.",
        ("direct", "We will not retreat", "Blair", "Tony Blair"),
    ),
    # the words first, then the verb and its speaker, either way round
    (
        "'Deal is dead,' says union",
        "The National Union of Teachers said talks had collapsed.",
        ("direct", "Deal is dead", "union", "National Union of Teachers"),
    ),
    (
        "'We won't give up', union leader says",
        "The strike goes on.",
        ("direct", "We won't give up", "union leader", None),
    ),
    # a verb of saying with a clause
    (
        "Union says deal is dead",
        "The National Union of Teachers said talks had collapsed.",
        ("indirect", "deal is dead", "Union", "National Union of Teachers"),
    ),
    (
        "Jones tells fans club will survive",
        "Manager Peter Jones spoke to supporters.",
        ("indirect", "club will survive", "Jones", "Peter Jones"),
    ),
    # Title Case read as the body writes the words
    (
        "Council Says New Bridge Will Open In May",
        "The council said the new bridge will open in May.",
        ("indirect", "New Bridge Will Open In May", "Council", None),
    ),
    # a quoted phrase inside the words: mixed, marks kept
    (
        "Minister: plan 'will fail'",
        "The health minister spoke on Monday.",
        ("mixed", "plan 'will fail'", "Minister", None),
    ),
    # unquoted words after a name the headline's model missed: the body names the person
    (
        "Merkel: Europe must stand together",
        "Angela Merkel spoke in Berlin.",
        ("indirect", "Europe must stand together", "Merkel", "Angela Merkel"),
    ),
    # ... and not when the body does not
    ("Merkel: Europe must stand together", "Leaders met in Berlin.", None),
    # a speaking body before a colon
    (
        "Police: man arrested after stabbing",
        "A man was arrested.",
        ("indirect", "man arrested after stabbing", "Police", None),
    ),
    # look alike, attribute nothing: a label, a place, no clause, no verb, a stance, no speaker
    ("The Latest: markets fall", "Markets fell.", None),
    ("Analysis: why the vote matters", "The vote matters.", None),
    ("Iraq: the road to war", "The war began.", None),
    ("Obama says goodbye", "Barack Obama left.", None),
    ("Obama: the early years", "Barack Obama was born.", None),
    ("Mayor endorses Smith for governor", "The mayor spoke.", None),
    ("Man arrested after stabbing", "A man was arrested.", None),
    ("", "A body without a headline.", None),
]


@pytest.mark.parametrize(("headline", "body", "expected"), CASES)
def test_headline_shapes(
    nlp: Language,
    headline: str,
    body: str,
    expected: tuple[str, str, str, str | None] | None,
) -> None:
    [annotation] = annotate([body], model=MODEL)
    [found] = headline_quotes([(headline, body)], model=MODEL)
    quotes = with_headline(annotation, found).title_quotes
    if expected is None:
        assert quotes == ()
        return
    [quote] = quotes
    kind, text, speaker_text, speaker = expected
    assert (quote.kind, quote.text, quote.speaker_text) == (kind, text, speaker_text)
    assert (quote.speaker.name if quote.speaker else None) == speaker
    # offsets index the headline, the speaker's too
    assert headline[quote.start : quote.end] == text
    assert quote.speaker_start is not None and quote.speaker_end is not None
    assert headline[quote.speaker_start : quote.speaker_end] == speaker_text
    assert quote.confidence > 0
