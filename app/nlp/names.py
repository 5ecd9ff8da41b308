"""Names as people are named (issue 20), as data tables: role words written before a name
(``Rapper Eminem``, ``Sprinter Michelle Collins``, ``Tory Liam Fox``) and words a sentence
starts with (``Describing Mr Jackson``) are not part of it, a preposition glued on by a lost
space (``ofNew Labour``) neither; and names the model takes for people that are not
(``Kill Bill``, ``Labour``, ``Swansea v Leicester``) get their type. A table of rules: longer
than a module's usual 400 lines would be allowed, it is not."""

import re

# a role, trade or affiliation written before a person's name, as a title is
ROLE_WORDS = frozenset(
    """
    actor actress adviser aide ambassador analyst anchor architect artist athlete author
    bassist batsman blogger bookmaker bowler boxer broadcaster businessman businesswoman
    campaigner captain cellist champion chef chief coach columnist comedian comic commentator
    composer conductor councillor cricketer critic cyclist dancer defender designer detective
    director diver drummer economist editor entrepreneur executive filmmaker footballer
    forward fullback goalkeeper golfer guitarist hooker host inspector investor jockey
    journalist judge keeper lawyer leader lock manager matchwinner midfielder minister model
    musician newcomer novelist officer olympian owner photographer pianist pilot player poet
    presenter producer prop rapper referee reporter rider rocker runner sailor scientist
    scrum-half singer skater skipper soldier songwriter spokesman spokeswoman sprinter star
    striker superintendent swimmer treasurer veteran winger writer
    tory tories labour conservative liberal democrat republican beatle
    american australian brazilian british english french german irish italian russian
    scottish scot slovakian spanish welsh welshman
    """.split()
)

# first words that begin a sentence or clause, not a name (a verb, a preposition, a
# determiner), whatever the tagger said
_CLAUSE_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "IN", "DT", "RB", "WRB"})

# a lower-case word glued to a capitalised one: "ofNew Labour", "andTony Blair"
GLUED_RE = re.compile(r"^(?:of|and|the|by|for|to|in|on|at|from|with)(?=[A-Z][a-z])")

# (pattern over the whole name, the type it has): names that are not people
NOT_PEOPLE: tuple[tuple[re.Pattern[str], str], ...] = (
    # parties and political groups
    (
        re.compile(r"^(?:new )?labour$|^tories$|^lib dems?$|^conservatives$", re.IGNORECASE),
        "ORG",
    ),
    # a fixture: "Swansea v Leicester", "England vs France"
    (re.compile(r"^\S.* (?:v|vs|v\.|vs\.) \S.*$"), "EVENT"),
    # teams and squads: "Team GB"
    (re.compile(r"^team [A-Z]\w*$", re.IGNORECASE), "ORG"),
    # films, songs and shows taken for people
    (
        re.compile(
            r"^(?:kill bill|dirty harry|hey joe|morning joe|jack frost|marty mcfly|"
            r"billy elliot|bridget jones|harry potter|shrek|finding neverland)$",
            re.IGNORECASE,
        ),
        "WORK_OF_ART",
    ),
    # companies taken for people
    (
        re.compile(r"^(?:vivendi universal|booz allen hamilton|rocky linux|linux)$", re.I),
        "ORG",
    ),
    # countries and nations alone: "England" in a match report is the team's country
    (
        re.compile(
            r"^(?:england|scotland|wales|ireland|britain|america|france|germany|italy|spain|"
            r"portugal|russia|china|japan|india|pakistan|australia|canada|brazil|argentina|"
            r"mexico|israel|iran|iraq|syria|egypt|kenya|nigeria|africa|europe|asia)$",
            re.IGNORECASE,
        ),
        "GPE",
    ),
    # a plural of capitals: "MPs", "CEOs"
    (re.compile(r"^[A-Z]{2,}s$"), "NORP"),
    # parts of a country: "North Devon", "South Wales"
    (re.compile(r"^(?:north|south|east|west)(?:ern)? [A-Z]\w+$"), "GPE"),
)


def not_a_person(name: str) -> str | None:
    """The type of a name the model labelled PERSON that is not one, or None."""
    for pattern, label in NOT_PEOPLE:
        if pattern.match(name):
            return label
    return None


def leading_words(words: list[tuple[str, str]]) -> int:
    """How many leading words of a person's name, as (text, tag) pairs, are a role word or
    the start of a clause; at least one word (a capitalised one) is always left."""
    cut = 0
    while cut < len(words) - 1:
        text, tag = words[cut]
        rest = words[cut + 1][0]
        if not rest[:1].isupper():
            break
        if text.casefold().rstrip(".") in ROLE_WORDS or (tag in _CLAUSE_TAGS and text.isalpha()):
            cut += 1
            continue
        break
    return cut
