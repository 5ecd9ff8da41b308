"""SQLModel tables (created only by Alembic migrations) and the public response schemas."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, JsonValue
from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.folding import folded
from app.db.packed import count_packed_ids as count_packed_ids
from app.db.packed import pack_ids as pack_ids


class QuoteKind(StrEnum):
    direct = "direct"
    block = "block"
    partial = "partial"
    mixed = "mixed"
    indirect = "indirect"
    stance = "stance"


# the quote lists' default (issue 20): speech; only 22 % of a judged sample of stances was speech
SPEECH_KINDS = frozenset(k.value for k in QuoteKind if k is not QuoteKind.stance)
ALL_KINDS = frozenset(k.value for k in QuoteKind)


class KindFilter(StrEnum):
    """A value of the quote lists' `kind` parameter: one kind, or `all` of them."""

    direct = "direct"
    block = "block"
    partial = "partial"
    mixed = "mixed"
    indirect = "indirect"
    stance = "stance"
    all = "all"


# --- tables -----------------------------------------------------------------------------------


# ids in URLs are never handed to another row after a delete (the ids-never-reused migration)
_NEVER_REUSED = {"sqlite_autoincrement": True}


class Article(SQLModel, table=True):
    # what search filters and facets read of each match, in narrow rows (app/engines/sqlite.py)
    __table_args__ = (
        Index("ix_article_facets", "id", "source", "published", "author", "entity_ids"),
        Index("ix_article_extraction", "extraction", "id"),
        _NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, index=True)
    title: str
    body: str
    published: date | None = Field(default=None, index=True)
    source: str | None = Field(default=None, index=True)
    url: str | None = None
    author: str | None = Field(default=None, index=True)
    word_count: int
    content_hash: str = Field(unique=True)
    ingested_at: datetime
    # the distinct ids of the entities it mentions (pack_ids), so that an entity facet over
    # 60,000 matches reads one value per match instead of every mention row
    entity_ids: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # issue 20: the model and rules it was annotated with (app.nlp.extraction_version); None
    # for articles stored before that was recorded. `corpus reannotate` redoes the others.
    extraction: str | None = None


def _folded_column(name: str) -> Any:
    """A column default: the named column's value as names are compared (quotes and entity
    names are written once and never updated, so the insert is the only time it is needed)."""

    def default(context: Any) -> str | None:
        return folded(context.get_current_parameters().get(name))

    return default


class Entity(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("name", "type"), _NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    type: str = Field(index=True)
    # `name_prefix=` compares folded names (entities are renamed never, so set once)
    name_key: str | None = Field(default=None, sa_column_kwargs={"default": _folded_column("name")})
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # denormalised so that listing and sorting entities needs no aggregate; refreshed by ingestion
    article_count: int = Field(default=0)
    mention_count: int = Field(default=0, index=True)
    # issue 20 (app.corpus.people): the entity it was merged into; merged ones leave the lists
    merged_into: int | None = Field(default=None, index=True)
    # a person's folded last name ("bush" for George W. Bush and for Bush), to find the
    # full names a bare surname may be; None for the other types
    surname_key: str | None = Field(default=None, index=True)


class Mention(SQLModel, table=True):
    __table_args__ = (Index("ix_mention_entity_article", "entity_id", "article_id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    entity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entity.id", ondelete="CASCADE"), nullable=False)
    )
    text: str
    start: int
    end: int
    # issue 20: the article's own entity, when app.corpus.people moved the mention (else None)
    local_entity_id: int | None = Field(default=None, index=True)


class Quote(SQLModel, table=True):
    # speaker indexes hold the list's whole order and the kind: a page or a count reads them alone
    __table_args__ = (
        *(
            Index(f"ix_quote_{key}", key, "article_id", "field", "start", "id", "kind")
            for key in ("speaker_key", "speaker_text_key", "speaker_entity_id")
        ),
        _NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    text: str
    start: int
    end: int
    kind: str
    cue: str | None = None
    speaker: str | None = Field(default=None, index=True)
    speaker_text: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    speaker_entity_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("entity.id", ondelete="SET NULL"))
    )
    speaker_key: str | None = Field(
        default=None, sa_column_kwargs={"default": _folded_column("speaker")}
    )
    speaker_text_key: str | None = Field(
        default=None, sa_column_kwargs={"default": _folded_column("speaker_text")}
    )
    # issue 9: how sure the attribution is, from the rule that made it (0 without a speaker)
    confidence: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    # issue 19: the quotation it is an occurrence of (app.corpus.quotations)
    quotation_id: int | None = Field(default=None, index=True)
    # issue 20: the text its offsets (and its speaker's) index: the article's title or body
    field: str = Field(default="body", sa_column_kwargs={"server_default": "body"})
    # issue 20: the article's own speaker entity, when app.corpus.people moved it (else None)
    speaker_local_entity_id: int | None = Field(default=None, index=True)


# --- public schemas ---------------------------------------------------------------------------


class Schema(BaseModel):
    """Base of the response schemas: plain pydantic models that read rows by attribute.
    (SQLModel's own validation wraps pydantic's in Python and cost more than the query on
    a search page.)"""

    model_config = ConfigDict(from_attributes=True)


_ARTICLE_EXAMPLE: dict[str, JsonValue] = {
    "id": 1,
    "source_id": "000_36b3ccdd15a1845b",
    "title": "Huawei founder and CEO Ren Zhengfei has spoken out about the benefits…",
    "published": "2021-02-10",
    "source": "Example Wire",
    "url": "https://example.org/huawei-ren-zhengfei",
    "author": None,
    "word_count": 357,
}
_QUOTE_EXAMPLE: dict[str, JsonValue] = {
    "id": 4,
    "article_id": 1,
    "text": "political whirlpool",
    "start": 1530,
    "end": 1549,
    "kind": "partial",
    "cue": "added",
    "speaker": "Ren Zhengfei",
    "speaker_text": "The executive",
    "speaker_start": 1413,
    "speaker_end": 1426,
    "speaker_entity_id": 2,
}
_ENTITY_EXAMPLE: dict[str, JsonValue] = {
    "id": 2,
    "name": "Ren Zhengfei",
    "type": "PERSON",
    "aliases": ["Zhengfei"],
    "article_count": 1,
    "mention_count": 4,
}


class ArticleSummary(Schema):
    model_config = {"json_schema_extra": {"examples": [_ARTICLE_EXAMPLE]}}

    id: int = Field(description="Internal article id.")
    source_id: str = Field(description="The record's own id, or the file path it came from.")
    title: str = Field(description="Headline (derived from the lead sentence when absent).")
    published: date | None = Field(description="Publication date, when known.")
    source: str | None = Field(description="Publisher, e.g. `Wikinews`.")
    url: str | None = Field(description="Canonical URL, when known.")
    author: str | None = Field(description="Byline, when known.")
    word_count: int = Field(description="Number of words in the body.")


class StoryFields(Schema):
    story_id: int | None = Field(default=None, description="The story it belongs to (issue 19).")
    story_size: int | None = Field(default=None, description="Articles in that story.")


class ArticlePublic(StoryFields, ArticleSummary):
    model_config = {
        "json_schema_extra": {"examples": [{**_ARTICLE_EXAMPLE, "body": "Huawei founder and CEO…"}]}
    }

    body: str = Field(
        description="Cleaned body text; every offset in the API indexes this string in Unicode "
        "code points (Python string indices, not UTF-16 units)."
    )


class MentionPublic(Schema):
    text: str = Field(description="The mention as written.")
    start: int = Field(description="Start offset in the article body.")
    end: int = Field(description="End offset (exclusive) in the article body.")


class EntityPublic(Schema):
    model_config = {"json_schema_extra": {"examples": [_ENTITY_EXAMPLE]}}

    id: int = Field(description="Internal entity id.")
    name: str = Field(description="Canonical name, e.g. `United States` for `US` and `U.S.`.")
    type: str = Field(description="spaCy label: PERSON, ORG, GPE, LOC, NORP, …")
    aliases: list[str] = Field(description="Other names this entity was written as.")
    article_count: int = Field(description="Number of articles that mention it.")
    story_count: int | None = Field(
        default=None,
        description="Number of stories (near-duplicate articles counted once) that mention it; "
        "null in an article's entities.",
    )
    mention_count: int = Field(description="Number of mentions across the corpus.")


class RelatedEntity(Schema):
    id: int = Field(description="Entity id.")
    name: str = Field(description="Canonical name.")
    type: str = Field(description="spaCy label.")
    articles: int = Field(description="Articles mentioning both entities.")
    stories: int | None = Field(
        default=None,
        description="Stories mentioning both entities (`related_by=story`; null otherwise).",
    )
    pmi: float = Field(
        description="Pointwise mutual information over articles (or stories, with "
        "`related_by=story`): above 0 means they appear together more often than chance."
    )


class MonthCount(Schema):
    month: str = Field(description="`YYYY-MM` of publication.")
    mentions: int = Field(description="Mentions that month.")
    articles: int = Field(description="Articles mentioning the entity that month.")


class EntityDetail(EntityPublic):
    redirected_from: int | None = Field(
        default=None,
        description="The id asked for, when that entity was merged into this one (a bare "
        "surname or a name variant of the same person, issue 20); null otherwise.",
    )
    related: list[RelatedEntity] = Field(
        description="Entities most often mentioned in the same articles (top 20)."
    )
    timeline: list[MonthCount] = Field(description="Mentions by month of publication.")


class ArticleEntity(EntityPublic):
    mentions: list[MentionPublic] = Field(description="Where the entity occurs in this article.")


class QuotePublic(Schema):
    model_config = {"json_schema_extra": {"examples": [_QUOTE_EXAMPLE]}}

    id: int = Field(description="Internal quote id.")
    article_id: int = Field(description="The article the quote appears in.")
    text: str = Field(description="The quoted words, without quotation marks.")
    field: Literal["title", "body"] = Field(
        default="body",
        description="Where the quote is: `body`, or `title` for a quote in the headline "
        "(`Blair: 'We will not retreat'`). Its offsets and its speaker's index that text.",
    )
    start: int = Field(description="Start offset of `text` in its `field` (title or body).")
    end: int = Field(description="End offset (exclusive) of `text` in its `field`.")
    kind: QuoteKind = Field(
        description="`direct` (in quotation marks), `block` (paragraph introduced by a speech "
        "verb), `partial` (a quoted phrase inside a sentence), `mixed` (reported speech holding a "
        "quoted phrase), `indirect` (reported speech) or `stance` (a position attributed to "
        "someone without their words: `endorsed the governor`, `urged voters to stay home`)."
    )
    cue: str | None = Field(description="The speech verb, e.g. `said`, `added`.")
    speaker: str | None = Field(description="Resolved speaker name, or null when unknown.")
    speaker_text: str | None = Field(description="The speaker as written, e.g. `he`.")
    speaker_start: int | None = Field(description="Start offset of `speaker_text`.")
    speaker_end: int | None = Field(description="End offset (exclusive) of `speaker_text`.")
    speaker_entity_id: int | None = Field(description="Entity id of the resolved speaker.")
    confidence: float = Field(
        default=0.0,
        description="How sure the attribution is, 0 to 1, set by the rule that found the "
        'speaker (e.g. 0.95 for `"…," she said`, 0.65 for the subject of a clause ending in a '
        "colon before the quote); 0 when no speaker was found. See docs/extraction.md.",
    )
    quotation_id: int | None = Field(
        default=None, description="The quotation (the same words across articles) it is in."
    )


class QuoteHit(QuotePublic):
    article_title: str = Field(description="Title of the article the quote is in.")
    snippet: str | None = Field(
        description="With `q`: the quote with its matches highlighted (HTML-escaped); "
        "otherwise null."
    )


class ArticleListItem(Schema):
    """An article in the list: every field unless `fields` picks some; `body` unless `include`
    leaves it out; `quotes` and `entities` when `include` asks for them."""

    model_config = {"json_schema_extra": {"examples": [_ARTICLE_EXAMPLE]}}

    id: int = Field(description="Internal article id (always present).")
    source_id: str | None = Field(
        default=None, description="The record's own id, or its file path."
    )
    title: str | None = Field(default=None, description="Headline.")
    published: date | None = Field(default=None, description="Publication date, when known.")
    source: str | None = Field(default=None, description="Publisher, e.g. `Wikinews`.")
    url: str | None = Field(default=None, description="Canonical URL, when known.")
    author: str | None = Field(default=None, description="Byline, when known.")
    word_count: int | None = Field(default=None, description="Number of words in the body.")
    story_id: int | None = Field(default=None, description="The story it belongs to.")
    story_size: int | None = Field(default=None, description="Articles in that story.")
    body: str | None = Field(
        default=None, description="Cleaned body text (`include=body`, the default)."
    )
    quotes: list["QuotePublic"] | None = Field(
        default=None, description="Quotes (`include=quotes`)."
    )
    entities: list["ArticleEntity"] | None = Field(
        default=None, description="Entities with their mentions (`include=entities`)."
    )


class ArticleDetail(ArticlePublic):
    entities: list[ArticleEntity] = Field(description="Entities mentioned, most mentioned first.")
    quotes: list[QuotePublic] = Field(description="Quotes in body order.")


class MatchOffset(Schema):
    start: int = Field(description="Start offset of a matching word in the body.")
    end: int = Field(description="End offset (exclusive).")


class SearchHit(StoryFields, ArticleSummary):
    snippet: str = Field(
        description="HTML-escaped excerpt around the best match, matches wrapped in the "
        "highlight markers (`<mark>` and `</mark>` by default)."
    )
    score: float | None = Field(
        description="Relevance, higher is better, comparable within one answer only (a title "
        "match weighs ten body matches); null when results are sorted by date."
    )
    matches: list[MatchOffset] = Field(
        description="Where the query matched in `body` (code-point offsets), to highlight the "
        "full text client-side."
    )


class FacetCount(Schema):
    value: str | None = Field(
        description="The source, year (`2020`), month (`2020-03`) or "
        "entity name; null counts articles without one."
    )
    count: int = Field(description="Matching articles with this value.")
    id: int | None = Field(default=None, description="Entity id (entity facet only).")
    type: str | None = Field(default=None, description="Entity type (entity facet only).")


class Health(Schema):
    status: str = Field(description="`ok` (the process answers) or `ready` (it can serve).")
    checks: dict[str, str] = Field(default={}, description="What readiness checked, and found.")


class CorpusStats(Schema):
    articles: int = Field(description="Number of articles stored.")
    quotes: int = Field(
        description="Number of quotes stored, of every kind: stances and headline quotes too, so "
        "more than `/quotes` lists by default (speech only)."
    )
    entities: int = Field(description="Number of entities stored.")
