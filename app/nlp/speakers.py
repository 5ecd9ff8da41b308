"""Who a speech verb's speaker is: its subject as written, resolved to an entity mention; used
by the attribution rules (``app.nlp.attribution``), block quotes and reported speech."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from app.nlp.cues import REPORTING_FORMS, lemmas_of
from app.nlp.entities import EntityMention
from app.nlp.roles import describing_spans, holding_role

SPEECH_VERBS = frozenset(
    """say tell add state stress warn argue insist explain write claim note announce declare
    reply respond ask comment acknowledge admit confirm deny suggest report tweet urge agree
    elaborate recall predict concede reiterate emphasise emphasize assert maintain complain
    remark observe caution testify vow promise answer describe continue conclude
    call dub label brand term
    quip joke shout yell scream exclaim muse opine boast brag post retort counter interject
    recount mention demand charge contend lament mock plead pledge proclaim scoff snap sneer
    whisper wonder inquire accuse praise criticize criticise blast slam tout allege chide
    retweet email text thunder gush fume rail lash retaliate bark cry hail lambaste reason
    speculate concur point sum summarize summarise admonish advise counsel insinuate
    """.split()
)
_IRREGULAR = {
    "said": "say",
    "says": "say",
    "told": "tell",
    "tells": "tell",
    "wrote": "write",
    "writes": "write",
    "written": "write",
}
_PRONOUNS = frozenset({"he", "she"})
_ORG_PRONOUNS = frozenset({"it"})
_RELATIVE_PRONOUNS = frozenset({"who", "which", "that"})
# people who speak for someone else: "a spokesman for Acme" speaks for Acme
_PROXY_NOUNS = frozenset(
    "spokesman spokeswoman spokesperson representative statement office camp".split()
)
_PERSON_NOUNS = frozenset(
    """executive spokesman spokeswoman spokesperson minister president chairman chairwoman chair
    director official leader founder chief ceo boss manager secretary senator governor mayor
    minister prime premier officer analyst expert coach captain player star actor actress singer
    author lawyer attorney judge professor scientist researcher doctor economist businessman
    businesswoman owner head commissioner ambassador diplomat general commander politician
    mp lawmaker legislator candidate cardinal archbishop bishop pope priest chancellor
    inspector detective superintendent commissioner negotiator adviser advisor nominee
    billionaire congressman congresswoman striker midfielder defender goalkeeper keeper winger
    skipper batsman bowler golfer sprinter athlete boxer rider champion rapper musician
    campaigner activist presenter wing flanker hooker fly-half scrum-half full-back forward
    playmaker""".split()
)
_ORG_NOUNS = frozenset(
    "company firm group ministry department agency government organisation organization "
    "union club party bank council committee board regulator team corporation campaign".split()
)
# kinds of body that "the <noun>" refers back to only when a name says so ("the bank": the Bank
# of England; "the party" is not Labour, "the government" not "MPs")
_NAMED_KINDS = frozenset(
    "government ministry department agency union club party bank council committee board "
    "team campaign".split()
)
SPEAKER_DEPS = ("nsubj", "nsubjpass")
# "speaking about X, the manager said": what a speech verb's words are about
_TALKING = frozenset("speaking talking asked writing".split())
_ABOUT = frozenset("of about".split())
# a subjectless speech verb takes the subject of the clause it hangs from through these
_CLIMB_DEPS = frozenset({"conj", "advcl", "xcomp", "acl", "pcomp", "pobj", "prep", "dobj"})
# NORP is left out: "the American" is a person, not the nationality
SPEAKER_LABELS = ("PERSON", "ORG", "GPE")


@dataclass(frozen=True)
class Speaker:
    """The speaker of a cue: the phrase as written and the mention it resolves to."""

    cue: str | None
    text: str | None
    start: int | None
    end: int | None
    mention: EntityMention | None


def verb_lemma(word: str) -> str | None:
    """The speech-verb lemma of an inflected form (said → say, stressed → stress), or None."""
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    # by its ending only: "saved" is not "say", "sales" not "say", "crowd" not "cry" (issue 20)
    return next((c for c in lemmas_of(word) if c in SPEECH_VERBS), None)


def is_speech_verb(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX") and verb_lemma(token.text) is not None


def is_according_to(token: Token) -> bool:
    """ "according" in "according to X", which attributes like a speech verb."""
    return (
        token.lower_ == "according"
        and token.i + 1 < len(token.doc)
        and token.nbor(1).lower_ == "to"
    )


def inside(offset: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def speaker_of(
    verb: Token, mentions: Sequence[EntityMention], quoted: Sequence[tuple[int, int]]
) -> Speaker:
    """The speaker of a speech verb (or of "according to"): its subject, resolved to an entity
    mention when possible."""
    cue = "according to" if verb.lower_ == "according" else verb.text
    subject = subject_of(verb, quoted)
    if subject is None:
        return Speaker(cue, None, None, None, None)
    return phrase_speaker(cue, subject, mentions, quoted)


def possessor_of(
    noun: Token, mentions: Sequence[EntityMention], quoted: Sequence[tuple[int, int]]
) -> Speaker:
    """The speaker of a noun cue: its possessor ("Trump's attacks on", "her claim that"), or
    none: "questions about the plan" names no one who asks them."""
    owner = next((c for c in noun.children if c.dep_ == "poss" and not inside(c.idx, quoted)), None)
    if owner is None:
        return Speaker(noun.text, None, None, None, None)
    return phrase_speaker(noun.text, owner, mentions, quoted)


def phrase_speaker(
    cue: str | None,
    subject: Token,
    mentions: Sequence[EntityMention],
    quoted: Sequence[tuple[int, int]],
) -> Speaker:
    """A speaker given by the head word of its phrase."""
    start, end = speaker_bounds(subject)
    span = subject.doc.char_span(start, end)
    text = span.text if span is not None else subject.text
    return Speaker(cue, text, start, end, resolve(subject, start, end, mentions, quoted))


def subject_of(verb: Token, quoted: Sequence[tuple[int, int]] = ()) -> Token | None:
    """The subject of a speech verb: its own, its head's when it is coordinated or an adverbial
    clause ("…, adding"), the noun a relative clause hangs on ("X, who said"), or a subject
    written after the verb ("…," said Smith). Never a word inside quotation marks."""
    if verb.lower_ == "according":
        to = verb.nbor(1)
        return next((c for c in to.children if c.dep_ == "pobj"), None)
    speaks = verb_lemma(verb.text) or verb.lower_ in REPORTING_FORMS
    if speaks and any(c.dep_ == "auxpass" for c in verb.children):
        # "He was told that …", "it is thought that …": the subject of a passive speech verb
        # is spoken to or a filler; the speaker is its agent ("… by the police") or unnamed
        # (issue 20)
        agent = next((c for c in verb.children if c.dep_ == "agent"), None)
        return next((c for c in agent.children if c.dep_ == "pobj"), None) if agent else None
    candidate = verb
    for _ in range(4):
        subjects = [
            c for c in candidate.children if c.dep_ in SPEAKER_DEPS and not inside(c.idx, quoted)
        ]
        # "The charity's head of policy, Simon Wright said": two subjects, the name the second
        subject = next((c for c in subjects[1:] if c.ent_type_ == "PERSON"), None)
        subject = subject or next(iter(subjects), None)
        if (
            subject is not None
            and subject.lower_ in _RELATIVE_PRONOUNS
            and candidate.dep_ == "relcl"
        ):
            noun = candidate.head  # "Ana Ruiz, a chemist, who said": Ruiz
            while noun.dep_ == "appos" and noun.head is not noun:
                noun = noun.head
            return noun
        if subject is not None:
            return subject
        if candidate.dep_ == "xcomp":
            # "leading some commentators to argue that …", "urged the club to say": the object
            # of the verb above is who speaks (issue 20)
            controller = next((c for c in candidate.head.children if c.dep_ == "dobj"), None)
            if controller is not None and controller.i < candidate.i:
                return None if inside(controller.idx, quoted) else controller
        if candidate is verb and verb.dep_ == "acl" and _with_noun(verb.head, verb):
            return verb.head  # "…, with reports saying …": the reports, not the main subject
        if candidate is verb and verb.tag_ == "VBG" and verb.dep_ in ("advcl", "conj"):
            # "X told Newsmax that Y "…," adding, "…"": the one adding is the main subject
            root = verb.sent.root
            own = next((c for c in root.children if c.dep_ in SPEAKER_DEPS), None)
            if own is not None and not inside(own.idx, quoted):
                return own
        # "she released a statement saying", "…and joked": climb to the clause's subject
        if candidate.dep_ not in _CLIMB_DEPS or candidate.head is candidate:
            break
        if candidate.dep_ == "conj" and candidate.head.dep_ == "ccomp":
            # "told the paper [truancy was bad] and said …", parsed as a conjunct of the
            # reported clause: the speaker is the subject of the clause that reports it
            candidate = candidate.head
        candidate = candidate.head
    # "…," said Smith: an inverted subject the parser may label otherwise
    return next(
        (
            c
            for c in verb.rights
            if c.pos_ in ("PROPN", "NOUN", "PRON")
            and c.dep_ not in ("ccomp", "dobj", "npadvmod")
            and not inside(c.idx, quoted)
        ),
        None,
    )


def speaker_bounds(subject: Token) -> tuple[int, int]:
    """The subject phrase without appositions or relative clauses: "a spokeswoman for the
    ministry" but not ", founder and CEO of Huawei"."""
    doc = subject.doc
    left = subject.left_edge.i
    right = subject.i
    for child in subject.rights:
        if child.dep_ in ("compound", "flat", "prep") and child.i == right + 1:
            right = child.right_edge.i
    while left < subject.i and (doc[left].is_punct or doc[left].is_space):
        left += 1
    return doc[left].idx, doc[right].idx + len(doc[right])


def resolve(
    subject: Token,
    start: int,
    end: int,
    mentions: Sequence[EntityMention],
    quoted: Sequence[tuple[int, int]],
) -> EntityMention | None:
    """Named speaker → its mention; "he"/"she" or a role ("the executive") → a person named
    before, outside quotes; an organisation noun ("the company") → the nearest organisation.
    No evidence, no guess."""
    named = [m for m in mentions if m.start < end and start < m.end and m.label in SPEAKER_LABELS]
    # "United States President Donald Trump": the mention holding the head word, not the first
    for mention in named:
        if mention.start <= subject.idx < mention.end:
            return mention
    # a name that only describes the speaker is not the speaker: "President Castro's chief
    # aide", "the account for the Bernie Show" (issue 20)
    # (but "a spokesman for Acme", "the Acme campaign" speak for Acme: below)
    word = subject.lower_
    if word not in _PROXY_NOUNS | _ORG_NOUNS:
        described = describing_spans(subject)
        named = [m for m in named if not inside(m.start, described)]
    # "The minister, Jane Okafor, said" (or "The head, Chief Inspector, Jo Bell, said"): the name
    # in apposition; "said founder and director Elliot Grove": the name coordinated with
    named_by = [c for c in subject.children if c.dep_ in ("appos", "conj")]
    named_by += [g for c in named_by for g in c.children if g.dep_ == "appos"]
    for appos in named_by:
        for mention in mentions:
            if mention.start <= appos.idx < mention.end and mention.label in SPEAKER_LABELS:
                return mention
    # "Former health minister Jo Bell MP": a person named inside the phrase
    people = [m for m in named if m.label == "PERSON"]
    if people:
        return people[0]
    if word in _PROXY_NOUNS:
        # "a spokesman for Acme", "the Acme spokesman": the speaker is the one spoken for
        for prep in (c for c in subject.children if c.dep_ == "prep" and c.lower_ in ("for", "of")):
            for mention in mentions:
                within = prep.idx < mention.start < prep.right_edge.idx + len(prep.right_edge)
                if within and mention.label in SPEAKER_LABELS:
                    return mention
        if named:
            return named[0]
    if word not in _PERSON_NOUNS and any(
        c.dep_ in ("amod", "compound") and c.ent_type_ for c in subject.children
    ):
        # "the French government": a description naming something the text does not link
        return named[0] if named else None
    if any(child.dep_ == "det" and child.lower_ in ("a", "an") for child in subject.children):
        return None  # "a spokesperson" introduces someone new; only "the executive" refers back
    # "the Russian said": a person named before, not Russia ("one Republican" is someone new);
    # "the Tories say": a party or a people, no one person
    if subject.ent_type_ == "NORP" and subject.tag_ in ("NNS", "NNPS"):
        return None
    nationality = subject.ent_type_ == "NORP" and any(c.lower_ == "the" for c in subject.children)
    if _looks_like_a_name(subject) and not named and not nationality:
        # a surname the model did not tag ("Okafor wrote") joins the full name written before
        people = [m for m in mentions if m.label == "PERSON" and m.name.split()[-1] == subject.text]
        before = [m for m in people if m.end <= start]
        if people:
            return before[-1] if before else people[0]
        return _untagged_name(subject)
    if word in _PRONOUNS or word in _PERSON_NOUNS or nationality:
        wanted = "PERSON"
    elif word in _ORG_NOUNS or word in _ORG_PRONOUNS:
        wanted = "ORG"
    else:
        # "press reports in China", "figures from the UK's regulator Ofcom": a place that only
        # describes the subject does not speak (issue 20)
        named = [m for m in named if m.label != "GPE"]
        return named[0] if named else None
    earlier = [
        m for m in mentions if m.end <= start and m.label == wanted and not inside(m.start, quoted)
    ]
    if word in _PERSON_NOUNS:
        earlier = holding_role(subject, earlier)
    # "the manager said of Silva": whom the words are about is not who says them (issue 20)
    about = {w for m in mentions if inside(m.start, _topics(subject.head)) for w in m.name.split()}
    earlier = [m for m in earlier if m.name.split()[-1] not in about]
    # a pronoun or role most often refers back to the last person who was the subject of a
    # main clause or of a speech verb, not to whoever was named last ("… while Tom Reed
    # would …. "…," he declared" is rarely Reed)
    subjects = [m for m in earlier if _is_main_subject(subject.doc, m)]
    if wanted == "ORG":
        # "the company", "the government": an organisation that was itself a subject, and for
        # a kind of body named in its names ("the bank": the Bank of England), one whose name
        # says so; never whichever organisation was named last (issue 20: "the company" is
        # not the product, "the government" not "MPs")
        if word in _NAMED_KINDS:
            subjects = [m for m in subjects if word in m.name.lower()]
        return subjects[-1] if subjects else None
    candidates = subjects or earlier
    if not candidates:
        return None
    if (word in _PRONOUNS or word in _PROXY_NOUNS) and _unnamed_subject_between(
        subject, candidates[-1], quoted
    ):
        # "A spokesman said … "…," he said" (or "the spokesman said"): he is the spokesman,
        # not the person named before him (issue 20)
        return None
    return candidates[-1]


def _topics(verb: Token) -> list[tuple[int, int]]:
    """Where a speech verb says whom its words are about: "said of X", "speaking about X"."""
    if verb_lemma(verb.text) is None:
        return []
    verbs = [verb, *(c for c in verb.children if c.dep_ == "advcl" and c.lower_ in _TALKING)]
    preps = [c for v in verbs for c in v.children if c.dep_ == "prep" and c.lower_ in _ABOUT]
    return [(p.idx, p.right_edge.idx + len(p.right_edge)) for p in preps]


def _unnamed_subject_between(
    pronoun: Token, person: EntityMention, quoted: Sequence[tuple[int, int]]
) -> bool:
    """Whether someone unnamed ("a spokesman", "the Swiss star") was the subject of a main
    clause or of a speech verb after ``person`` was and before ``pronoun``: the pronoun
    refers to them."""
    doc = pronoun.doc
    span = doc.char_span(person.end, pronoun.idx, alignment_mode="expand")
    if span is None:
        return False
    for token in span:
        # "The Australian has …": a nationality with "the" is someone unnamed too
        nationality = token.ent_type_ == "NORP" and any(c.lower_ == "the" for c in token.children)
        if (
            token.i >= pronoun.i
            or inside(token.idx, quoted)
            or (token.ent_type_ and not nationality)
        ):
            continue
        if token.dep_ not in SPEAKER_DEPS or not (token.lower_ in _PERSON_NOUNS or nationality):
            continue
        verb = token.head
        if verb.dep_ == "ROOT" or verb_lemma(verb.text) is not None:
            return True
    return False


def _with_noun(noun: Token, verb: Token) -> bool:
    """X of "with X doing" (not "with a reference to it, remarking": a comma sets it apart)."""
    if noun.dep_ != "pobj" or noun.head.lower_ != "with" or noun.pos_ not in ("NOUN", "PROPN"):
        return False
    return noun.i < verb.i and not any(t.is_punct for t in noun.doc[noun.i : verb.i])


def _looks_like_a_name(token: Token) -> bool:
    """A proper noun, or a capitalised word inside a sentence the tagger read otherwise
    ("Lopez, 58, told" with Lopez as an adjective)."""
    if token.pos_ == "PROPN":
        return True
    return (
        token.text[:1].isupper()
        and not token.is_sent_start
        and not token.is_stop
        and token.pos_ in ("ADJ", "NOUN", "X")
    )


def _untagged_name(head: Token) -> EntityMention | None:
    """A proper name the model did not tag, as the subject of a cue ("Husted continued"):
    the speaker is that name (an organisation when written in capitals, "CNN")."""
    words = [t for t in head.lefts if t.dep_ in ("compound", "flat") and t.pos_ == "PROPN"]
    words = [*words, head]
    if any(not t.text[:1].isupper() for t in words):
        return None
    start, end = words[0].idx, head.idx + len(head)
    text = head.doc[words[0].i : head.i + 1].text
    label = "ORG" if text.isupper() and len(text) > 1 else "PERSON"
    return EntityMention(text=text, start=start, end=end, label=label, name=text)


def _is_main_subject(doc: Doc, mention: EntityMention) -> bool:
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    root = span.root
    while root.dep_ in ("compound", "flat", "appos", "conj") and root.head is not root:
        root = root.head
    if root.dep_ not in SPEAKER_DEPS:
        return False
    verb = root.head
    return verb.dep_ == "ROOT" or verb_lemma(verb.text) is not None
