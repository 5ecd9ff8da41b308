"""Tables of quotations (the same words across articles, issue 19: written by ``app.corpus``)
and their response schemas."""

from datetime import date

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from app.db.models import Schema


class Quotation(SQLModel, table=True):
    """Quotes with the same words; its summary is kept current by ``app.corpus.quotations``
    whenever an occurrence joins or leaves (``quote.quotation_id`` names it)."""

    __table_args__ = (
        Index("ix_quotation_occurrences", "occurrences", "id"),
        Index("ix_quotation_first_published", "first_published", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    text: str
    folded: str
    key: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    # the key of its first run of words (app.corpus.quotetext.grams): a longer quote holding
    # it finds it there
    first_gram: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    occurrences: int
    # distinct outlets and stories of its occurrences: kept here (refreshed with the rest of
    # the summary, and when stories merge or split) so that a list never counts occurrences
    source_count: int = 0
    story_count: int = 0
    first_quote_id: int
    first_article_id: int
    first_published: date | None = None
    first_source: str | None = None
    speaker: str | None = None
    speaker_entity_id: int | None = Field(default=None, index=True)
    speaker_share: float | None = None
    contested: bool = False


class QuotationGram(SQLModel, table=True):
    """Every run of eight words of each quotation's longest form: a trimmed variant finds the
    quotation that holds it by its first run."""

    __tablename__ = "quotation_gram"
    __table_args__ = (PrimaryKeyConstraint("gram", "quotation_id"),)

    gram: int = Field(sa_column=Column(BigInteger, nullable=False))
    quotation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("quotation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


# --- public schemas ---------------------------------------------------------------------------


class FirstSeen(Schema):
    published: date | None = Field(description="Publication date of the earliest occurrence.")
    article_id: int = Field(description="The article of the earliest occurrence.")
    source: str | None = Field(description="Its source.")


class QuotationBase(Schema):
    id: int = Field(description="Quotation id.")
    text: str = Field(description="The longest form the words were quoted in.")
    first_seen: FirstSeen = Field(
        description="The earliest occurrence (undated ones last, ties by article and quote)."
    )
    sources: int = Field(description="Distinct sources (outlets) that quoted them.")
    stories: int = Field(description="Distinct stories they were quoted in.")
    speaker: str | None = Field(
        description="The entity most occurrences attribute the words to (those without a "
        "speaker do not vote)."
    )
    speaker_entity_id: int | None = Field(description="That entity's id.")
    speaker_share: float | None = Field(
        description="Its share of the occurrences that have a speaker."
    )
    contested: bool = Field(
        description="True when another speaker has at least a third of the attributed occurrences."
    )


class QuotationPublic(QuotationBase):
    occurrences: int = Field(description="Quotes holding these words.")


class QuotationOccurrence(Schema):
    quote_id: int = Field(description="Quote id.")
    article_id: int = Field(description="Article id.")
    title: str = Field(description="The article's title.")
    source: str | None = Field(description="Its source.")
    published: date | None = Field(description="Its publication date.")
    speaker: str | None = Field(description="The speaker as extracted from this article.")
    confidence: float = Field(description="How sure that attribution is, 0 to 1.")


class QuotationDetail(QuotationBase):
    occurrence_count: int = Field(description="Quotes holding these words.")
    occurrences: list[QuotationOccurrence] = Field(
        description="The earliest 100 occurrences, earliest first (undated last); "
        "`/quotations/{id}/occurrences` pages through all of them."
    )
