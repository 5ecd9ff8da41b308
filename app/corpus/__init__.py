"""What spans articles (issue 19): stories of near-duplicate articles and quotations of the same
words across articles. Stages that run after ``store`` inside the same write transaction, over
tables of their own (``app.db.stories``, ``app.db.quotations``)."""

from app.corpus.people import link_people
from app.corpus.peoplerules import surname_key
from app.corpus.quotations import group_quotes, leave_quotations, refresh_quotations_of
from app.corpus.stories import join_story, leave_story, refresh_story_of

__all__ = [
    "group_quotes",
    "join_story",
    "leave_quotations",
    "link_people",
    "leave_story",
    "refresh_quotations_of",
    "refresh_story_of",
    "surname_key",
]
