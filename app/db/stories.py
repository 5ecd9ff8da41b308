"""Tables of stories (near-duplicate articles, issue 19: written by ``app.corpus``) and their
response schemas."""

from datetime import date

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
)
from sqlmodel import Field, SQLModel

from app.db.models import Schema


class Story(SQLModel, table=True):
    """A group of articles that nearly duplicate each other; its summary is kept current by
    ``app.corpus.stories`` whenever a member joins, leaves or changes date."""

    __table_args__ = (
        Index("ix_story_size", "size", "id"),
        Index("ix_story_first_published", "first_published", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    size: int
    source_count: int
    first_article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id"), nullable=False)
    )
    first_published: date | None = None


class StoryArticle(SQLModel, table=True):
    """Which story each article is in (every stored article is in exactly one)."""

    __tablename__ = "story_article"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    story_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("story.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class StoryBand(SQLModel, table=True):
    """The LSH band table: one row per (band key, article); articles sharing a key are
    candidates for the same story (``app.corpus.shingles.band_keys``)."""

    __tablename__ = "story_band"
    __table_args__ = (PrimaryKeyConstraint("key", "article_id"),)

    key: int = Field(sa_column=Column(BigInteger, nullable=False))
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class StorySignature(SQLModel, table=True):
    """Each article's MinHash signature (``app.corpus.shingles.packed``) and shingle set
    (``packed_shingles``), so that judging a candidate reads them instead of shingling its
    body again: 512 bytes decide most, the set (4 bytes a word) the ones near the threshold."""

    __tablename__ = "story_signature"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    minhash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # null only for a row written before the column (the migration fills them)
    shingles: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


# --- public schemas ---------------------------------------------------------------------------


class StoryPublic(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 3,
                    "size": 4,
                    "source_count": 3,
                    "first_article_id": 12,
                    "first_published": "2021-02-10",
                    "title": "Huawei founder speaks out",
                }
            ]
        }
    }

    id: int = Field(description="Story id.")
    size: int = Field(description="Number of articles in the story.")
    source_count: int = Field(description="Number of distinct sources (outlets) that ran it.")
    first_article_id: int = Field(
        description="The earliest published article (ties and undated ones by id)."
    )
    first_published: date | None = Field(description="Publication date of the first article.")
    title: str = Field(description="Title of the first article.")


class StoryMember(Schema):
    id: int = Field(description="Article id.")
    title: str = Field(description="Headline.")
    source: str | None = Field(description="Publisher.")
    published: date | None = Field(description="Publication date, when known.")
    url: str | None = Field(description="Canonical URL, when known.")


class StoryDetail(StoryPublic):
    sources: list[str] = Field(description="The distinct sources that ran it, alphabetically.")
    articles: list[StoryMember] = Field(
        description="Its earliest 100 articles, first published first (undated last, ties by "
        "id); `/stories/{id}/articles` pages through all of them."
    )
