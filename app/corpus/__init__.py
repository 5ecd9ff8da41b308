"""What spans articles (issue 19): stories of near-duplicate articles. Stages that run after
``store`` inside the same write transaction, over tables of their own (``app.db.stories``)."""

from app.corpus.stories import join_story, leave_story, refresh_story_of

__all__ = ["join_story", "leave_story", "refresh_story_of"]
