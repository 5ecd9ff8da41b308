"""Named-entity mentions from a spaCy ``Doc``, canonicalised: one real thing is one entity."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span

from app.nlp.interviews import turn_labels
from app.nlp.names import GLUED_RE, ROLE_WORDS, leading_words, not_a_person
from app.nlp.personfix import (
    couples,
    org_before,
    persons_thing,
    retype,
    whole_name,
    work_title,
)

# spaCy labels worth linking; numbers, dates, money and the like are not things an article mentions
ENTITY_LABELS = frozenset(
    {
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    }
)

# (canonical name, forced label) for well-known variants, keyed by the casefolded written form
_KNOWN_NAMES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ["us", "u.s.", "u.s", "usa", "u.s.a.", "united states", "united states of america"],
        ("United States", "GPE"),
    ),
    **dict.fromkeys(
        ["uk", "u.k.", "united kingdom", "britain", "great britain"], ("United Kingdom", "GPE")
    ),
    **dict.fromkeys(["eu", "e.u.", "european union"], ("European Union", "ORG")),
    **dict.fromkeys(["un", "u.n.", "united nations"], ("United Nations", "ORG")),
}
_possessive_re = re.compile(r"(?:['’]s|(?<=s)['’])$")
_leading_the_re = re.compile(r"^the\s+", re.IGNORECASE)
# courtesy titles are not part of a name: "Dr Cumberbatch" is Cumberbatch
_honorific_re = re.compile(
    r"^(?:mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|lord|lady|rev|fr|cardinal|archbishop"
    r"|bishop|rabbi|imam|sheikh|president|senator|governor|chancellor|judge|justice"
    # US titles (issue 9): "Sen. Ron Johnson", "Rep. Paul Ryan", "Gov. Jerry Brown"
    r"|sen|rep|gov|lt|col|gen|sgt|adm|atty)\.?\s+"
    r"(?=[A-Z])",
    re.IGNORECASE,
)
_edge_punct_re = re.compile(r"^[\s\"'“”‘’(\[]+|[\s\"'“”‘’)\],;:!?-]+$")
# the last word before a final full stop; short ones are abbreviations ("U.S.", "Inc.", "Jr.")
_last_word_re = re.compile(r"([^\s.]*)\.$")
_space_re = re.compile(r"\s+")
# a score, a tally or a count written after a name in results and tables: "Somerset 83",
# "Kent 108-3", "D. Blenkiron 4-43" (never part of the name)
_trailing_number_re = re.compile(r"(?:\s+\d+(?:[-.:/]\d+)*)+$")
# what follows a team in results: a score or tally, not a year or a date ("Paris 2024",
# "MADRID 1996-08-30")
_score_after_re = re.compile(r"^\s+(?!(?:1[89]|20)\d\d\b)\d{1,3}(?:-\d{1,3})?(?![\d-])")
_PLACE_LABELS = frozenset({"GPE", "LOC"})
# the types a short name is linked within: a person's surname or an organisation's acronym
_LINKED_LABELS = ("PERSON", "ORG")


# lines of sports results and tables, where every name is a club or a national team
_TEAM = r"[A-Z][\w'.&-]*(?: [A-Z][\w'.&-]*){0,3}"
_QUALIFIER = r"(?: \( [A-Z]\w{0,2} \))?"  # "Proleter ( Z )": which of two clubs of one name
_TALLY = r"(?: [\d.:/-]+){4,}"  # played, won, drawn, lost, goals, points
_GOLF_ROUNDS = r"(?!(?: [6-8]\d){2,4}(?: \d{3})?$)"  # a golfer's rounds and total: a person


_PARTICLE = r"(?:(?:de|da|dos|di|van|von|der|den|le|la) )*"  # "Ronald de Boer"
_PLAYER = rf"[A-Z][\w'.-]*(?: {_PARTICLE}[A-Z][\w'.-]*){{0,3}}"
_OVERS = r"\d+(?:\.\d)?-\d+-\d+-\d+"  # a bowler's overs, maidens, runs and wickets


@dataclass(frozen=True)
class TableLine:
    """Names in a line of results or a table, each named group one name of ``label``; with
    ``anywhere`` the pattern may match several times inside a line, else it is the whole line.
    A name the model typed as one of ``unless`` is left as it is."""

    name: str
    pattern: re.Pattern[str]
    label: str = "ORG"
    anywhere: bool = False
    unless: frozenset[str] = frozenset()


TABLE_LINES: tuple[TableLine, ...] = (
    # "Millwall 4 2 1 1 7 5 7", "Lotte 46 6 54 .462 14 1/2"
    TableLine("standings", re.compile(rf"^(?P<a>{_TEAM}){_QUALIFIER}{_GOLF_ROUNDS}{_TALLY}$")),
    # "Bury 4 Bristol City 0", "Chicago 4 HOUSTON 3", "Treorchy 17 Newbridge 23 ( halftime 5-9 )"
    TableLine(
        "result",
        re.compile(rf"^(?P<a>{_TEAM}){_QUALIFIER} \d+ (?P<b>{_TEAM}){_QUALIFIER} \d+(?: \(.*\))?$"),
    ),
    # cricket scorecards: "Wasim Akram c Knight b Hollioake 21", "Moin Khan lbw b Mullally 0"
    TableLine(
        "batting",
        re.compile(
            rf"^(?P<a>{_PLAYER}) (?:(?:c|st) (?P<b>{_PLAYER}) b|lbw b|c and b|c & b|b) "
            rf"(?P<c>{_PLAYER}) \d+$"
        ),
        label="PERSON",
    ),
    TableLine(
        "not out", re.compile(rf"^(?P<a>{_PLAYER}) (?:not out|run out|retired hurt) \d+$"), "PERSON"
    ),
    # "Gough 8-0-39-3 , Mullally 6-0-30-1"
    TableLine("bowling", re.compile(rf"(?P<a>{_PLAYER}) {_OVERS}\b"), "PERSON", anywhere=True),
    # football line-ups and scorers: "9 - Marc Degryse , 8 - Luc Nilis", "Norland - Ada Reed (
    # 61st )", "( 14 - Sergen Yalcin , 57th )"
    TableLine(
        "squad number",
        re.compile(rf"(?:^|, |\( )\d{{1,2}} ?- ?(?P<a>{_PLAYER})(?= ,| \(|$)"),
        "PERSON",
        anywhere=True,
    ),
    TableLine(
        "scorer",
        re.compile(rf" - (?P<a>{_PLAYER}) \( \d+(?:st|nd|rd|th)\b"),
        "PERSON",
        anywhere=True,
    ),
    # "7. Ada Reed ( Norland ) 60.74": a placing, the athlete and their country
    TableLine(
        "placing",
        re.compile(rf"^\d{{1,2}}\. (?P<a>{_PLAYER}) \( "),
        "PERSON",
        unless=frozenset({"GPE", "LOC", "NORP"}),
    ),
)


@dataclass(frozen=True)
class EntityMention:
    text: str  # as written, trimmed of "the" and possessives
    start: int
    end: int
    label: str
    name: str  # canonical name; mentions with the same (name, label) are one entity


def _trimmed_bounds(span: Span) -> tuple[int, int]:
    """Character bounds of ``span`` without a leading "the", a courtesy title, a possessive or
    edge punctuation."""
    start, end = span.start_char, span.end_char
    text = span.text
    while True:
        before = (start, end)
        if m := _leading_the_re.match(text) or _honorific_re.match(text):
            start += m.end()
            text = text[m.end() :]
        if m := _possessive_re.search(text):
            end -= len(m.group())
            text = text[: m.start()]
        if m := _edge_punct_re.match(text):
            start += m.end()
            text = text[m.end() :]
        if m := _edge_punct_re.search(text):
            end -= len(m.group())
            text = text[: m.start()]
        if (m := _last_word_re.search(text)) and len(m.group(1)) > 3:
            end -= 1
            text = text[:-1]
        # a name never runs over a line break or into a parenthesis ("Scott Draper ( Australia")
        if (cut := min((i for i in (text.find("\n"), text.find(" (")) if i > 0), default=-1)) > 0:
            end -= len(text) - cut
            text = text[:cut]
        if span.label_ in ("PERSON", "ORG", "GPE", "LOC") and (
            m := _trailing_number_re.search(text)
        ):
            if m.start() > 0:
                end -= len(m.group())
                text = text[: m.start()]
        if (start, end) == before:
            return start, end


def canonical(text: str, label: str) -> tuple[str, str]:
    """Canonical (name, label) for a trimmed mention text."""
    name = _space_re.sub(" ", text).strip()
    return _KNOWN_NAMES.get(name.casefold(), (name, label))


def extract_entities(doc: Doc) -> list[EntityMention]:
    """Entity mentions in text order; a lone surname joins the full name used in the same doc."""
    mentions: list[EntityMention] = []
    # Doc.text joins every token's text on each access: read once, not once per entity (which
    # made extraction grow with the square of the text's length, issue 8)
    body = doc.text
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        start, end = _trimmed_bounds(ent)
        text = body[start:end]
        if not any(ch.isalpha() for ch in text):
            continue
        if mentions and start < mentions[-1].end:
            continue  # within the name before it, made whole ("Bush-Cheney")
        # a title makes a person: "Dr Houck" is not an organisation whatever the model says
        titled = _honorific_re.match(_leading_the_re.sub("", ent.text))
        label = "PERSON" if titled else _team_or(ent.label_, body, end)
        if label == "PERSON":
            start = _name_start(ent, body, start, end)
            start, end = whole_name(ent, body, start, end, ROLE_WORDS)
            text = body[start:end]
            label = not_a_person(text) or work_title(body, start, end) or label
            if (last := mentions[-1] if mentions else None) and org_before(last, body, start, end):
                # "Lockheed Martin": a one-word person right after an organisation is its end
                text = body[last.start : end]
                name, label = canonical(text, last.label)
                mentions[-1] = EntityMention(text, last.start, end, label, name)
                continue
        name, label = canonical(text, label)
        mentions.append(EntityMention(text=text, start=start, end=end, label=label, name=name))
    mentions = _with_interview_speakers(body, mentions)
    mentions = _with_table_teams(body, mentions)
    return link_mentions(couples(body, mentions, _renamed))


def _renamed(mention: EntityMention, name: str) -> EntityMention:
    return replace(mention, name=name)


def _name_start(ent: Span, body: str, start: int, end: int) -> int:
    """Where a person's name starts: after a glued preposition ("ofNew Labour"), role words
    and a clause's first word ("Rapper Eminem", "Describing Mr Jackson") and a title left
    after them (``app.nlp.names``)."""
    if m := GLUED_RE.match(body[start:end]):
        start += m.end()
    tokens = [t for t in ent if t.idx >= start and t.idx + len(t.text) <= end]
    cut = leading_words([(t.text, t.tag_) for t in tokens])
    if cut:
        start = tokens[cut].idx
        if m := _honorific_re.match(body[start:end]):
            start += m.end()
    return start


def _with_table_teams(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """Names in lines of results and tables (``TABLE_LINES``): teams are organisations and
    players people, whether the model found them as something else or not at all."""
    found: list[EntityMention] = []
    for line in re.finditer(r"[^\n]+", text):
        content = line.group().strip()
        offset = line.start() + len(line.group()) - len(line.group().lstrip())
        for rule in TABLE_LINES:
            matches = (
                list(rule.pattern.finditer(content))
                if rule.anywhere
                else [m for m in [rule.pattern.match(content)] if m]
            )
            for match in matches:
                for group, value in match.groupdict().items():
                    if value is None:
                        continue
                    start, end = offset + match.start(group), offset + match.end(group)
                    if any(
                        m.start == start and m.end == end and m.label in rule.unless
                        for m in mentions
                    ):
                        continue
                    name, label = canonical(text[start:end], rule.label)
                    found.append(EntityMention(text[start:end], start, end, label, name))
            if matches and not rule.anywhere:
                break
    if not found:
        return mentions
    kept = [m for m in mentions if not any(t.start < m.end and m.start < t.end for t in found)]
    return sorted([*kept, *found], key=lambda m: m.start)


def _team_or(label: str, text: str, end: int) -> str:
    """A place followed by a score is a team ("Somerset 83 and 174", "Leicestershire 22
    points"): sports clubs are named after places and are organisations."""
    if label in _PLACE_LABELS and _score_after_re.match(text[end : end + 12]):
        before = text[:end].rstrip()
        line_start = text.rfind("\n", 0, end) + 1
        # "( Nigeria ) 11.14": a country in brackets after an athlete stays a place
        if not text[line_start:end].rstrip().endswith(")") and not before.endswith(")"):
            return "ORG"
    return label


def _by_majority_type(mentions: list[EntityMention]) -> list[EntityMention]:
    """One name, one type within a doc: the label most of its mentions got (the first seen on
    a tie), so "Acme" is not an organisation in one sentence and a person in the next."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for mention in mentions:
        votes[mention.name][mention.label] += 1
    winner = {name: count.most_common(1)[0][0] for name, count in votes.items()}
    return [m if m.label == winner[m.name] else replace(m, label=winner[m.name]) for m in mentions]


def _with_interview_speakers(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """Turn labels of a transcript: an interviewee's name is a PERSON mention whatever the model
    made of it; interviewer labels ("((WN))") are not mentions. Initials ("((AN))") stay for the
    linker to expand."""
    labels = turn_labels(text)
    if not labels:
        return mentions
    kept = [m for m in mentions if not any(s < m.end and m.start < e for s, e, _ in labels)]
    people = [
        EntityMention(text=text[s:e], start=s, end=e, label="PERSON", name=text[s:e])
        for s, e, interviewer in labels
        if not interviewer
    ]
    return sorted([*kept, *people], key=lambda m: m.start)


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word[:1].isupper())


def link_mentions(mentions: list[EntityMention]) -> list[EntityMention]:
    """One entity per real thing within a text: short forms take the full name the text writes
    elsewhere (``_link_short_names``), then each name takes the type most of its mentions have
    (``_by_majority_type``). Run over each doc, and again over the mentions of all the parts
    of a text annotated in parts (``app.ingest.annotate``)."""
    return _by_majority_type(_link_short_names(retype(mentions, _relabel)))


def _relabel(mention: EntityMention, label: str) -> EntityMention:
    return replace(mention, label=label)


def _link_short_names(mentions: list[EntityMention]) -> list[EntityMention]:
    """Give short forms the full name written in the same text: a surname or first name
    ("Zhengfei") or initials ("RZ") the nearest full person name before it (else the first
    after it); an acronym or first word of an organisation ("WHO", "Acme", "Bank") the one
    longer organisation name it abbreviates.

    Each short name is compared only with the mentions an index finds for it (its word in a
    name, its letters as initials, its first four letters), not with every mention of the
    text, which grows with the square of the text (the same links for the 5,212 mentions of
    400,000 characters of the corpus in 0.07 s rather than 1.0 s)."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, mention in enumerate(mentions):
        if mention.label in _LINKED_LABELS:
            keys = {*mention.name.split(), f"^{_initials(mention.name).upper()}"}
            for key in keys | {f"<{mention.name[:4]}"}:
                index[key].append(i)
    surnames = {m.name.split()[-1] for m in mentions if m.label == "PERSON" and " " in m.name}
    linked = []
    for mention in mentions:
        word = mention.name
        if " " not in word and word in surnames:
            # the model often types a lone surname as a place or organisation ("Reading" GPE)
            mention = replace(mention, label="PERSON")
        if " " not in word and mention.label in _LINKED_LABELS:
            near = {*index.get(word, ()), *index.get(f"^{word}", ())}
            if len(word) >= 4:
                near.update(index.get(f"<{word[:4]}", ()))
            # in text order, as _expansion picks the nearest candidate before the short name
            full = _expansion(mention, [mentions[i] for i in sorted(near)])
            if full is not None:
                mention = replace(mention, name=full.name, label=full.label)
        linked.append(mention)
    return linked


def _expansion(short: EntityMention, mentions: list[EntityMention]) -> EntityMention | None:
    word = short.name
    longer = [m for m in mentions if m.label in _LINKED_LABELS and len(m.name) > len(word) + 1]

    def fits(m: EntityMention) -> bool:
        words = m.name.split()
        if m.label == "PERSON":
            return len(words) > 1 and (
                word in words or (word.isupper() and _initials(m.name) == word)
            )
        return (word.isupper() and len(word) > 1 and _initials(m.name).upper() == word) or (
            len(word) >= 4 and m.name.startswith(word)
        )

    candidates = [m for m in longer if fits(m)]
    if short.label == "PERSON":
        # "Bush" is not the "Bush Administration" (app.nlp.personfix)
        candidates = [m for m in candidates if m.label == "PERSON"] or [
            m for m in candidates if not persons_thing(m.name)
        ]
    names = {m.name for m in candidates}
    if not names:
        return None
    if len(names) == 1:
        return candidates[0]
    if short.label != "PERSON":
        return None  # "Bank" with two banks named: no evidence for either
    before = [m for m in candidates if m.end <= short.start]
    return before[-1] if before else candidates[0]
