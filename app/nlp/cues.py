"""Cues of reported stance: verbs that attribute a position to their subject without a clause
of speech ("endorsed Clinton", "urged voters to stay home"). Each row names a verb and the shape
of its content; to cover a verb, add a row and a case to ``tests/nlp/test_cues.py``."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from spacy.tokens import Span, Token


class Content(Enum):
    """Which words after the verb are what the subject is said to hold or do."""

    OBJECT = "object"  # its direct object: "endorsed [the governor]"
    INFINITIVE = "infinitive"  # its open clause: "vowed [to repeal the law]"
    REST = "rest"  # all its complements: "accused [her rival of lying]"
    NAMING = "naming"  # what it names and the name: "called [the plan "a disaster]""
    PREPOSITION = "preposition"  # the object of its preposition: "called for [a ban]"


@dataclass(frozen=True)
class StanceCue:
    lemma: str
    content: tuple[Content, ...]  # tried in order; the first shape present is the content


# verbs that name: their object is who is named (or phoned), their clause a misparse of a name
# ("a group called the Harbour Trust has been set up"): content only with the name (NAMING)
NAMING_VERBS = frozenset("call dub label brand term".split())

_OBJECT_VERBS = """endorse announce oppose reject praise mock denounce tout reiterate tweet slam
reveal deny admire recall stress advocate confirm acknowledge note explain claim echo
thank back favor"""
_REST_VERBS = """accuse criticize criticise decline cite express seek refuse urge question
propose blame vow blast defend refer order dismiss prefer remind deem
reference press bemoan voice plead characterize rail demand approve balk applaud hail brush
recommend decry frame attribute email disclose contradict portray invoke lament
assure lash lambast liken worry conclude describe attack underscore highlight condemn
congratulate promote apologize complain"""
_PREPOSITION_VERBS = "argue"  # argue for, argue against
# "plan", "intend", "aim", "expect", "like" and "decide" were rows until issue 20: what they
# report is a plan, an expectation or an act ("expects to launch the phone next year", "decided
# to sell"), not a position; "repeat" likewise ("struggled to repeat its success")
_INFINITIVE_VERBS = "hope promise report agree threaten suggest ask want"
# chosen on the tuning part of PolNeAR train (docs/extraction.md): verbs whose content, in the
# shape given, is an annotated attribution at least 40 % of the time. Issue 20 took out, on a
# judged sample of the development corpus, verbs whose content is what was spoken of, not what
# was said (talk, comment, discuss, mention), or whose object is no speech in most of their
# uses (issue, offer, post, chant, interpret): "issued [updates]", "chanted [slogans]". Verbs
# of appearance ("seems to", "appears to") were rows too, with no speaker, until issue 20:
# nobody holds what they report, as nobody holds a passive's ("is expected to launch").
STANCE_CUES: tuple[StanceCue, ...] = (
    StanceCue("call", (Content.NAMING, Content.PREPOSITION, Content.INFINITIVE)),
    StanceCue("vote", (Content.INFINITIVE, Content.PREPOSITION)),
    StanceCue("support", (Content.OBJECT, Content.INFINITIVE)),
    *(StanceCue(lemma, (Content.NAMING,)) for lemma in sorted(NAMING_VERBS - {"call"})),
    *(StanceCue(lemma, (Content.OBJECT,)) for lemma in _OBJECT_VERBS.split()),
    *(StanceCue(lemma, (Content.REST,)) for lemma in _REST_VERBS.split()),
    *(StanceCue(lemma, (Content.INFINITIVE,)) for lemma in _INFINITIVE_VERBS.split()),
    *(StanceCue(lemma, (Content.PREPOSITION,)) for lemma in _PREPOSITION_VERBS.split()),
)
_BY_LEMMA = {cue.lemma: cue for cue in STANCE_CUES}
_IRREGULAR = {"sought": "seek"}
# complements that are not the content: a second verb, an adverbial clause, a time phrase, the
# agent of a passive ("congratulated by the council")
_NOT_CONTENT_DEPS = frozenset(
    {"conj", "cc", "punct", "advcl", "npadvmod", "mark", "advmod", "agent"}
)

# verbs of belief and finding: they report a clause (app.nlp.reported) but never introduce a
# quotation in marks
REPORTING_FORMS = frozenset(
    """think thinks thought believe believes believed find finds found show shows showed shown
    feel feels felt know knows knew hope hopes hoped expect expects expected fear fears feared
    indicate indicates indicated reveal reveals revealed estimate estimates estimated
    acknowledge acknowledges acknowledged signal signals signaled signalled hint hints hinted
    learn learned learnt""".split()
)

# What a cue's preposition never introduces as content (issue 20): whom the words were said to
# ("talking to international media", "argued with the referee"), what they were about ("talked
# about the tax", "commented on the plans", "responded to the offer": a topic, not what was
# said), unless a directive follows ("called on members to strike": the addressee and the
# infinitive are the content)
ADDRESSEE_PREPOSITIONS = frozenset("to with".split())
TOPIC_ONLY_PREPOSITIONS = frozenset("about on upon over regarding concerning".split())
DIRECTIVE_PREPOSITIONS = frozenset("on upon".split())
# … nor when or where ("called the club on Monday", "spoke in Paris"): a preposition whose object
# is a date or a time, or one of PLACE_PREPOSITIONS before a place
TIME_LABELS = frozenset("DATE TIME".split())
PLACE_LABELS = frozenset("GPE LOC FAC".split())
PLACE_PREPOSITIONS = frozenset("in at from near outside inside across throughout".split())
# a cue under one of these (or under "yet", or negated) is speech not made, or not yet:
# "declined to comment", "failed to back it", "has yet to say" (app.nlp.reported.NOT_REPORTED)
NOT_YET_VERBS = frozenset("fail decline refuse".split())
# content that only points back to something said before: "rejected [it]", "[this position]"
PLACEHOLDERS = frozenset("it this that these those them so something anything".split())
DEMONSTRATIVES = frozenset("this that these those such".split())
# subjects (and possessors) that are the writer or the reader outside quotation marks, never a
# reported speaker: "I think …", "we expect …" in a column or readers' comments, and the
# writer's own inference ("that suggests …"), issue 20
WRITER_SUBJECTS = frozenset("i we you me us this that these those".split())
WRITER_POSSESSIVES = frozenset("my our your".split())
# subjects that name nobody in particular: "everybody knows …", "nobody believes …" (issue 20)
GENERIC_SUBJECTS = frozenset(
    "everybody everyone nobody anybody anyone somebody someone many".split()
)
# what "according to" may name that is nobody's statement: "according to [the latest figures]",
# "according to data" (issue 20); with a named body in the phrase ("figures from the Labor
# Department") the body speaks
DATA_NOUNS = frozenset(
    "figure figures data statistics stats number numbers estimate estimates calculation "
    "calculations record records result results chart charts table tables".split()
)
# verbs of thought that report an indirect question asked of oneself, not words said:
# "wondered whether …" (issue 20)
INNER_SPEECH = frozenset({"wonder"})
# a clause a verb of belief reports has a finite verb: found [that it failed], not found [him]
FINITE_TAGS = frozenset("VBD VBZ VBP MD".split())
# marks that end a statement: a clause before them is not reported by a verb after them
# ("A began; Lee promised …"; "?" and "!" end what is asked or cried: "Why?" she asked)
STATEMENT_ENDS = frozenset(". ;".split())
# how a second speech verb hangs inside a reported clause when the parser runs two statements
# together: "… and said", "…, claiming", "with 40% saying"
NEXT_STATEMENT_DEPS = frozenset("conj advcl pcomp".split())


def stance_cue(token: Token) -> StanceCue | None:
    """The row for a verb form: endorsed, urging, cites, slammed, sought."""
    if token.pos_ != "VERB":
        return None
    word = token.lower_
    if word in _IRREGULAR:
        return _BY_LEMMA[_IRREGULAR[word]]
    for lemma in lemmas_of(word):
        if lemma in _BY_LEMMA:
            return _BY_LEMMA[lemma]
    return None


def lemmas_of(word: str) -> list[str]:
    """Candidate lemmas of an inflected form, by its ending: endorse(s|d), not(ing)e,
    den(ied|ies)y, push(es), slam(med), refer(ring); "planted" is never "plan", and "saved" is
    never "say" (issue 20: -y only from -ied and -ies)."""
    found = [word]
    if word.endswith("s"):
        found.append(word[:-1])
        if word.endswith("es"):
            found.append(word[:-2])
        if word.endswith("ies"):
            found.append(word[:-3] + "y")
    if word.endswith("ed"):
        found += [word[:-1], word[:-2]]
        if word.endswith("ied"):
            found.append(word[:-3] + "y")
        if word[-3:-2] == word[-4:-3]:
            found.append(word[:-3])
    if word.endswith("ing"):
        found += [word[:-3], word[:-3] + "e"]
        if word[-4:-3] == word[-5:-4]:
            found.append(word[:-4])
    return found


def stance_content(verb: Token, shapes: tuple[Content, ...]) -> Span | None:
    """The words of the first of ``shapes`` found after ``verb``, without trailing
    punctuation."""
    for shape in shapes:
        span = _SHAPES[shape](verb)
        if span is not None:
            return span
    return None


def _children(verb: Token, deps: frozenset[str]) -> list[Token]:
    return [c for c in verb.children if c.i > verb.i and c.dep_ in deps]


def _span_of(verb: Token, heads: list[Token]) -> Span | None:
    words = sorted((t for head in heads for t in head.subtree), key=lambda t: t.i)
    if not words:
        return None
    span = verb.doc[words[0].i : words[-1].i + 1]
    while len(span) and (span[-1].is_punct or span[-1].is_space):
        span = span[:-1]
    return span if len(span) else None


def _object(verb: Token) -> Span | None:
    return _span_of(verb, _children(verb, frozenset({"dobj"}))[:1])


def _infinitive(verb: Token) -> Span | None:
    return _span_of(verb, _children(verb, frozenset({"xcomp"}))[:1])


def _rest(verb: Token) -> Span | None:
    """All complements after the verb, without an addressee ("apologised to fans for …")."""
    return _span_of(
        verb,
        [
            c
            for c in verb.children
            if c.i > verb.i
            and c.dep_ not in _NOT_CONTENT_DEPS
            and (c.dep_ != "prep" or c.lower_ not in ADDRESSEE_PREPOSITIONS)
        ],
    )


def _naming(verb: Token) -> Span | None:
    names = _children(verb, frozenset({"oprd"}))
    if not names:
        return None
    return _span_of(verb, [*_children(verb, frozenset({"dobj"})), *names])


def _preposition(verb: Token) -> Span | None:
    return _span_of(verb, _position_objects(verb, _children(verb, frozenset({"prep"}))))


def _position_objects(verb: Token, prepositions: list[Token]) -> list[Token]:
    """The object of the first of ``prepositions`` that introduces what is said or held ("called
    for [a ban]"), not to whom, about what, when or where it was said; with the infinitive
    after it for a directive ("called on [members to strike]")."""
    infinitive = next((c for c in verb.children if c.dep_ == "xcomp" and c.i > verb.i), None)
    for preposition in prepositions:
        objects = [c for c in preposition.children if c.dep_ in ("pobj", "pcomp")]
        if not objects:
            continue
        word = preposition.lower_
        if (
            word in DIRECTIVE_PREPOSITIONS
            and infinitive is not None
            and infinitive.i > objects[0].i
        ):
            return [objects[0], infinitive]
        if word in ADDRESSEE_PREPOSITIONS or word in TOPIC_ONLY_PREPOSITIONS:
            continue
        if not is_circumstance(preposition.doc[preposition.i : objects[0].i + 1]):
            return objects[:1]
    return []


def is_circumstance(span: Span) -> bool:
    """A date or time, with or without its preposition ("on Monday", "next year"), or a place
    after a preposition of place ("in Paris", "at the White House"): when or where something
    was said, never what."""
    words = [t for t in span if not (t.is_punct or t.is_space)]
    preposition = words[0].lower_ if words and words[0].pos_ == "ADP" else None
    named = [t for t in words[1 if preposition else 0 :] if t.pos_ != "DET"]
    if not named:
        return False
    if all(t.ent_type_ in TIME_LABELS for t in named):
        return True
    return preposition in PLACE_PREPOSITIONS and all(t.ent_type_ in PLACE_LABELS for t in named)


_SHAPES: dict[Content, Callable[[Token], Span | None]] = {
    Content.NAMING: _naming,
    Content.PREPOSITION: _preposition,
    Content.OBJECT: _object,
    Content.INFINITIVE: _infinitive,
    Content.REST: _rest,
}


# Nouns of speech and stance: "her criticism of the plan", "his claim that prices fell", "the
# call for a ban". Their content is the object of one of NOUN_PREPOSITIONS or the clause they
# govern; their speaker is the possessor, if any ("Trump's attacks on …"). Chosen on the tuning
# part of PolNeAR train: each is an annotated attribution at least 40 % of the time (support,
# request, effort, campaign, threat and bid were measured and left out: 10-33 %).
NOUN_CUES = frozenset(
    """accusation admission allegation announcement argument assertion attack belief call claim
    comment commitment complaint concern condemnation criticism critique decision defense defence
    desire doubt embrace endorsement fear opposition plan pledge praise promise proposal
    question recommendation refusal rejection remark statement suggestion view warning""".split()
)
NOUN_PREPOSITIONS = frozenset("of on for against over to toward towards".split())
# nouns of words spoken, whose preposition names a topic or a medium, not what was said ("his
# comments on [his blog]", "questions about [the bridge]"): their clause only; and
# "about" names a topic after any noun ("claims about [the mayor]"). "Demand" is left out: in
# business news it is demand for goods ("rising demand for [fuel]"), issue 20
SPEECH_NOUNS = frozenset("comment remark statement question announcement argument".split())


def is_noun_cue(token: Token) -> bool:
    """A noun of speech or stance, singular or plural: claim, attacks, criticisms."""
    if token.pos_ != "NOUN":
        return False
    word = token.lower_
    return word in NOUN_CUES or (word.endswith("s") and word[:-1] in NOUN_CUES)


def _participle(verb: Token) -> bool:
    """A past participle without a subject of its own: a modifier, not a clause."""
    own = any(c.dep_ in ("nsubj", "nsubjpass", "mark") for c in verb.children)
    return verb.tag_ in ("VBN", "VBD") and not own


def noun_content(noun: Token) -> Span | None:
    """What a noun cue is about: the object of its first preposition among NOUN_PREPOSITIONS
    ("attacks [on the press]"), or the clause it governs ("the claim [that prices fell]",
    "a pledge [to cut taxes]"), without a leading "that"."""
    word = noun.lower_
    speech_noun = word in SPEECH_NOUNS or (word.endswith("s") and word[:-1] in SPEECH_NOUNS)
    for child in noun.children:
        if child.i < noun.i:
            continue
        if child.dep_ == "prep" and child.lower_ in NOUN_PREPOSITIONS and not speech_noun:
            objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
            if objects:
                return _span_of(noun, objects[:1])
        # a clause it governs, not a participle after it ("questions [sent by the public]")
        if child.dep_ == "ccomp" or (child.dep_ == "acl" and not _participle(child)):
            words = [t for t in child.subtree if not (t.dep_ == "mark" and t.lower_ == "that")]
            span = noun.doc[words[0].i : words[-1].i + 1]
            while len(span) and (span[-1].is_punct or span[-1].is_space):
                span = span[:-1]
            return span if len(span) else None
    return None


# Verbs whose clause complement is an event they bring about or undergo, not content someone
# holds ("made [them leave]", "let [it pass]", "helped [the bill pass]"): no attribution.
# Any other verb with a clause after it reports what its subject thinks, sees or holds
# ("realized that …", "suspects the vote was rigged"). Measured on the PolNeAR tune part: these
# forms are attributions 10-30 % of the time, the other verbs about half the time.
LIGHT_VERBS = frozenset(
    """make makes made making let lets letting help helps helped helping have has had having get
    gets got getting mean means meant ensure ensures ensured turn turns turned watch watched saw
    's ’s""".split()
)


# Issue 20: only these verbs of thinking, hoping and judging report their clause as a stance;
# any other verb's clause ("include", "allow", "limit", "began") was no attribution on a judged
# sample of the development corpus (4 of 7 such stances)
THINKING_VERBS = frozenset(
    """realize realise suspect doubt reckon hope wish suppose assume guess imagine understand
    recognize recognise worry consider judge figure sense bet trust accept decide determine
    discover notice conclude prove demonstrate question""".split()
)


def clause_content(verb: Token) -> Span | None:
    """The clause a verb of THINKING_VERBS governs after it, without a leading "that":
    "realized [the vote was lost]"."""
    thinking = any(lemma in THINKING_VERBS for lemma in lemmas_of(verb.lower_))
    if verb.lower_ in LIGHT_VERBS or not thinking:
        return None
    clause = next((c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i), None)
    if clause is None:
        return None
    words = [t for t in clause.subtree if not (t.dep_ == "mark" and t.lower_ == "that")]
    span = verb.doc[words[0].i : words[-1].i + 1]
    while len(span) and (span[-1].is_punct or span[-1].is_space):
        span = span[:-1]
    return span if len(span) else None


# What a speech verb is about when it has no clause: the object of one of these prepositions
# ("asked about the plan", "warned of a recession", "responded to the charges"), except for
# verbs of writing and adding, whose preposition names a medium or a target ("wrote on
# Facebook", "added to the list"): on the PolNeAR tune part 40-70 % of the first are
# attributions, under 20 % of the second.
TOPIC_PREPOSITIONS = frozenset("about to of on for against over".split())
MEDIUM_VERBS = frozenset("add write report post tweet".split())


def topic_content(verb: Token, lemma: str) -> Span | None:
    """The object of the first of TOPIC_PREPOSITIONS after a speech verb of lemma ``lemma``."""
    if lemma in MEDIUM_VERBS:
        return None
    prepositions = [
        c
        for c in verb.children
        if c.i > verb.i and c.dep_ == "prep" and c.lower_ in TOPIC_PREPOSITIONS
    ]
    return _span_of(verb, _position_objects(verb, prepositions))


# What a speech verb says when its content is its object ("said nothing", "predicted a
# landslide", "retweeted the video"); not for verbs whose object is who is spoken to ("told
# reporters", "urged voters") nor where the object belongs to another sense of the verb
# ("continued the tour", "maintained a lead"): those were 0-20 % attributions on the tune part.
# A verb of naming alone names or phones someone ("called the Football Association"): its
# stance needs the name too (Content.NAMING), issue 20.
ADDRESSEE_VERBS = frozenset("tell ask urge advise remind warn thank assure inform".split())
# "Answer" answers questions (a topic), and what "say" has as its object is its inverted subject
# ("…, say those who feel …") or a negation ("said nothing")
OTHER_SENSE_VERBS = frozenset("continue maintain charge answer say".split()) | NAMING_VERBS


def spoken_object(verb: Token, lemma: str) -> Span | None:
    """The direct object after a speech verb of lemma ``lemma``, unless it is an addressee."""
    if lemma in ADDRESSEE_VERBS | MEDIUM_VERBS | OTHER_SENSE_VERBS:
        return None
    return _span_of(verb, _children(verb, frozenset({"dobj"}))[:1])
