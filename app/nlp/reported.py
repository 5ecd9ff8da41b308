"""Reported speech and stance: ordered rules (``REPORT_RULES``) that find what a cue word reports
("said that …", "according to X, …", "endorsed the governor", "her criticism of the plan") and
who it is attributed to. Quoted passages are found by ``app.nlp.quotes``."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from app.nlp.cues import (
    DATA_NOUNS,
    DEMONSTRATIVES,
    FINITE_TAGS,
    GENERIC_SUBJECTS,
    INNER_SPEECH,
    NAMING_VERBS,
    NOT_YET_VERBS,
    PLACEHOLDERS,
    REPORTING_FORMS,
    WRITER_POSSESSIVES,
    WRITER_SUBJECTS,
    clause_content,
    is_circumstance,
    is_noun_cue,
    lemmas_of,
    noun_content,
    spoken_object,
    stance_content,
    stance_cue,
    topic_content,
)
from app.nlp.entities import EntityMention
from app.nlp.spans import QUOTE_MARKS, QuoteSpan, attribution_of, make_quote, trim_span
from app.nlp.speakers import (
    SPEAKER_DEPS,
    Speaker,
    inside,
    is_according_to,
    possessor_of,
    speaker_of,
    verb_lemma,
)
from app.nlp.statements import (
    according_to_content,
    before_next_statement,
    in_paragraph,
    leads,
    run_on,
    second_clause,
    sentence_between,
    within_marks,
)

SpeakerFinder = Callable[[Token, Sequence[EntityMention], Sequence[tuple[int, int]]], Speaker]


@dataclass(frozen=True)
class ReportRule:
    """A cue of reported speech or stance: the content it reports (None: not this rule's cue),
    the fewest words that content may have, the confidence of its speaker, the part of speech
    of its cue word and how its speaker is found."""

    name: str
    confidence: float
    content: Callable[[Token], Span | None]
    min_words: int = 3
    kind: str = "indirect"
    pos: str = "VERB"
    speaker: SpeakerFinder = speaker_of


def _according_to(token: Token) -> Span | None:
    return according_to_content(token) if is_according_to(token) else None


def _speech_clause(token: Token) -> Span | None:
    if token.pos_ != "VERB" or not (verb_lemma(token.text) or _reports(token)):
        return None
    if verb_lemma(token.text) in NAMING_VERBS:
        return None  # "a group called the Harbour Trust was set up": a name, not a clause
    return _reported_clause(token) or _parenthetical_clause(token)


def _parenthetical_clause(verb: Token) -> Span | None:
    """ "The tax, she added, would fall on small firms": a speech verb set inside the clause it
    reports (parsed as parataxis) reports that whole clause."""
    if verb.dep_ != "parataxis" or verb.head.pos_ not in ("VERB", "AUX"):
        return None
    if any(c.dep_ in ("dobj", "ccomp", "xcomp") for c in verb.children):
        return None  # a clause of its own ("…; she said nothing")
    inner = {t.i for t in verb.subtree}
    words = [t for t in verb.head.subtree if t.i not in inner]
    if not words:
        return None
    doc = verb.doc
    start, end = words[0].i, words[-1].i + 1
    # "A, she said, and B; C": the statement ends at the semicolon (issue 20)
    stops = [t.i for t in doc[start:end] if t.text == ";" and not within_marks(t)]
    start = max([start, *(i + 1 for i in stops if i < verb.i)])
    end = min([end, *(i for i in stops if i > verb.i)])
    return trim_span(doc[start:end])


def _speech_topic(token: Token) -> Span | None:
    lemma = verb_lemma(token.text)
    return topic_content(token, lemma) if lemma is not None else None


def _speech_object(token: Token) -> Span | None:
    lemma = verb_lemma(token.text)
    return spoken_object(token, lemma) if lemma is not None else None


def _stance(token: Token) -> Span | None:
    cue = stance_cue(token)
    return stance_content(token, cue.content) if cue is not None else None


def _noun_stance(token: Token) -> Span | None:
    return noun_content(token) if is_noun_cue(token) else None


# in order: the first rule that finds content for a token makes its quote
REPORT_RULES: tuple[ReportRule, ...] = (
    ReportRule("according_to", 0.8, _according_to),
    ReportRule("reported_clause", 0.8, _speech_clause),
    # a position, not words spoken: its own kind, and below the 0.8 of reported speech
    # (app.nlp.cues)
    ReportRule("stance", 0.6, _stance, min_words=1, kind="stance"),
    # a verb of thinking with a clause after it: what its subject thinks or holds
    ReportRule("clause_complement", 0.5, clause_content, kind="stance"),
    # a speech verb without a clause: what it asks or warns for, of or against ("asked for a
    # vote"), never its topic ("asked about the plan", issue 20)
    ReportRule("speech_topic", 0.5, _speech_topic, min_words=1, kind="stance"),
    # … or what it says as its object ("predicted a landslide")
    ReportRule("speech_object", 0.5, _speech_object, min_words=1, kind="stance"),
    # a noun of speech or stance ("her criticism of the plan"): spoken by its possessor only
    ReportRule(
        "noun_stance",
        0.5,
        _noun_stance,
        min_words=1,
        kind="stance",
        pos="NOUN",
        speaker=possessor_of,
    ),
)
_CUE_POS = frozenset(rule.pos for rule in REPORT_RULES)


@dataclass(frozen=True)
class NotReported:
    """What a report rule found that is not an attribution after all (issue 20): ``test`` of
    the cue word, the content and the rule's name."""

    name: str
    test: Callable[[Token, Span, str], bool]


def _unspoken(cue: Token, content: Span, rule: str) -> bool:
    """Negated or not-yet speech: "did not say whether", "made no comment", "has yet to say",
    "declined to comment", "failed to back it". Verbs of belief keep their negation: "does not
    think the plan will work" is a position."""
    if rule == "clause_complement" or (rule == "reported_clause" and not verb_lemma(cue.text)):
        return False
    if cue.pos_ == "NOUN":
        return any(c.lower_ == "no" for c in cue.children)
    if any(c.dep_ == "neg" for c in cue.children):
        return True
    if _not_yet(cue):  # "declined [to comment]": the refusal of speech is no speech
        return content.root.pos_ == "VERB" and verb_lemma(content.root.text) is not None
    head = cue.head
    return (
        cue.dep_ == "xcomp"
        and head is not cue
        and (_not_yet(head) or any(c.dep_ == "neg" or c.lower_ == "yet" for c in head.children))
    )


def _not_yet(verb: Token) -> bool:
    return any(lemma in NOT_YET_VERBS for lemma in lemmas_of(verb.lower_))


def _received(cue: Token, content: Span, rule: str) -> bool:
    """A stance or topic of a passive, whose subject receives it ("was congratulated by the
    council", "is expected to launch next year"), or of a participle after its noun ("a
    charity called Save the Pier": a name given)."""
    if rule not in ("stance", "speech_topic", "speech_object"):
        return False
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in cue.children):
        return True
    return cue.dep_ == "acl" and cue.tag_ in ("VBN", "VBD")  # a past participle, however tagged


def _placeholder(cue: Token, content: Span, rule: str) -> bool:
    """Content that only points back: "rejected [it]", "backed [this position]"."""
    words = [t for t in content if not (t.is_punct or t.is_space)]
    if all(t.lower_ in PLACEHOLDERS or t.pos_ == "PRON" for t in words):
        return True
    return len(words) == 2 and words[0].lower_ in DEMONSTRATIVES and words[1].pos_ == "NOUN"


def _circumstance(cue: Token, content: Span, rule: str) -> bool:
    return is_circumstance(content)


def _own_voice(cue: Token, content: Span, rule: str) -> bool:
    """Outside quotation marks, "I think …", "we expect …", "you claim …" and "that suggests
    …" are the writer's or a reader's words, never a reported speaker's (issue 20: readers'
    comments, columns). Inside marks the quote holds them already."""
    if cue.pos_ == "NOUN":
        owner = next((c for c in cue.children if c.dep_ == "poss"), None)
        return owner is not None and owner.lower_ in WRITER_POSSESSIVES
    verb = cue
    subject = next((c for c in verb.children if c.dep_ in SPEAKER_DEPS), None)
    while subject is None and verb.dep_ == "xcomp" and verb.head is not verb:
        verb = verb.head  # "we need to know …", "you have to wonder …"
        subject = next((c for c in verb.children if c.dep_ in SPEAKER_DEPS), None)
    if subject is None:
        return False
    return subject.lower_ in WRITER_SUBJECTS or subject.lower_ in GENERIC_SUBJECTS


def _question_asked(cue: Token, content: Span, rule: str) -> bool:
    return question_asked(cue)


def question_asked(cue: Token) -> bool:
    """ "Asked whether he would run, Reed said …": the question is an unnamed interviewer's,
    not the subject's words (issue 20)."""
    if verb_lemma(cue.text) != "ask" or cue.tag_ != "VBN":
        return False
    return not any(c.dep_ in SPEAKER_DEPS for c in cue.children)


def _no_finite_clause(cue: Token, content: Span, rule: str) -> bool:
    """A verb of belief or finding reports a clause with a verb of its own ("found that the
    vote was rigged"), not what it found ("found [her sister] live on air", "found [him to be a
    difficult opponent]")."""
    if rule != "reported_clause" or verb_lemma(cue.text) is not None:
        return False
    return not any(
        t.tag_ in FINITE_TAGS or (t.dep_ in ("aux", "auxpass") and t.tag_ != "TO") for t in content
    )


def _no_holder(cue: Token, content: Span, rule: str) -> bool:
    """ "It is thought that …", "it was announced that …": a passive with a filler subject and
    no agent names nobody who said or holds it (issue 20). "He was told that …" still reports
    what someone told him."""
    if rule != "reported_clause" or not any(c.dep_ == "auxpass" for c in cue.children):
        return False
    if any(c.dep_ == "agent" for c in cue.children):
        return False
    return any(c.dep_ in ("nsubjpass", "expl") and c.lower_ == "it" for c in cue.children)


def _data_source(cue: Token, content: Span, rule: str) -> bool:
    """ "According to [the latest figures], …": data, not a speaker, unless the phrase names
    who published them ("figures from the Labor Department": the department's statement)."""
    if rule != "according_to":
        return False
    source = next((c for c in cue.nbor(1).children if c.dep_ == "pobj"), None)
    if source is None or source.lower_ not in DATA_NOUNS:
        return False
    return not any(t.ent_type_ in ("ORG", "PERSON", "GPE") for t in source.subtree)


def _inner_speech(cue: Token, content: Span, rule: str) -> bool:
    """ "She wondered whether the vote was lost": a question asked of oneself, no words said."""
    return verb_lemma(cue.text) in INNER_SPEECH


# in order; the first that holds drops the quote. Cases: NOT_REPORTED_CASES in
# tests/nlp/test_cues.py
NOT_REPORTED: tuple[NotReported, ...] = (
    NotReported("unspoken", _unspoken),
    NotReported("received", _received),
    NotReported("placeholder", _placeholder),
    NotReported("circumstance", _circumstance),
    NotReported("own_voice", _own_voice),
    NotReported("question_asked", _question_asked),
    NotReported("no_finite_clause", _no_finite_clause),
    NotReported("no_holder", _no_holder),
    NotReported("data_source", _data_source),
    NotReported("inner_speech", _inner_speech),
)


def not_reported(cue: Token, content: Span, rule: str) -> str | None:
    """The name of the first NOT_REPORTED entry that holds, or None."""
    return next((n.name for n in NOT_REPORTED if n.test(cue, content, rule)), None)


def reported_quotes(
    doc: Doc, mentions: Sequence[EntityMention], quoted: list[tuple[int, int]]
) -> list[QuoteSpan]:
    """Reported speech and stance (``REPORT_RULES``): a speech verb with a clausal complement
    ("stressed that Huawei is open", "Prices will rise, the bank said"), a clause sourced
    "according to X", a verb of stance with its content ("endorsed the governor") or a noun of
    stance ("his attacks on the press")."""
    quotes = []
    for token in doc:
        # every cue is a verb ("according" too) or a noun: the cheap test first, on long texts
        if token.pos_ not in _CUE_POS or inside(token.idx, quoted):
            continue
        for rule in REPORT_RULES:
            span = rule.content(token) if token.pos_ == rule.pos else None
            if span is not None:
                break
        else:
            continue
        if span is None or len(span) < rule.min_words or any(inside(t.idx, quoted) for t in span):
            continue
        if not_reported(token, span, rule.name) is not None:
            continue
        # without a subject the content is still reported (PolNeAR counts it), with no speaker
        # and confidence 0 rather than a guess: "Expect prices to rise", "…, noting that …"
        found = rule.speaker(token, mentions, quoted)
        attribution = attribution_of(found, rule.confidence, rule.name)
        # a quoted word in a stance (called them "crazy") is the speaker's: mixed, though alone
        # it is no quote; in reported speech it may be the writer's ('the so-called "Rocket"')
        quoted_word = rule.kind == "stance" and any(m in span.text for m in QUOTE_MARKS)
        kind = "mixed" if quoted_word else rule.kind
        quotes.append(make_quote(span.text, span.start_char, span.end_char, kind, attribution))
    return quotes


def _reports(token: Token) -> bool:
    """A verb of belief or finding that reports a clause as well as a speech verb does
    ("polls show that …", "she believes the plan will fail")."""
    word = token.lower_
    return word in REPORTING_FORMS


def _reported_clause(verb: Token) -> Span | None:
    """The clause a speech verb reports: after it ("said that …", "said the plan failed"), or
    before it when the speaker follows ("The plan failed, the minister said")."""
    subject = next((c for c in verb.children if c.dep_ in SPEAKER_DEPS), None)
    clauses = [c for c in verb.children if c.dep_ == "ccomp"]
    for clause in clauses:
        if clause.i < verb.i and (subject is None or subject.i < clause.i):
            continue  # "X, who said …": a clause before both subject and verb is not reported
        if clause.i < verb.i and (sentence_between(clause.right_edge, verb) or leads(verb)):
            continue  # "A began; Lee promised …", "A. He added: "…"": the writer's clause
        words = [t for t in clause.subtree if not (t.dep_ == "mark" and t.lower_ == "that")]
        span = verb.doc[words[0].i : words[-1].i + 1]
        if clause.i > verb.i:
            span = second_clause(span, clauses) or run_on(span) or span
        return trim_span(in_paragraph(before_next_statement(span), after=clause.i > verb.i))
    return None
