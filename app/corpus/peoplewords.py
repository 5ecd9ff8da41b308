"""When a name may not join another person at all (issue 20), as data tables, after a judged
sample of merges (eval/judged/people-merges-seed20.jsonl, 73/100 right on the first rules):
a full name that is not shaped as a person's name is no candidate (``Team GB``, ``Swansea v
Leicester``, ``Mike Nichols' Closer``, ``S Byrne``); a bare word that is a common given name
(``David`` of Craig David, ``Harry`` of Prince Harry) stays as it is; and a bare surname
written where a longer name or a list is (``Tennessee Williams``, ``Baron Cohen``, ``Paying the
Price``) or only in a rugby line-up (``Morton, Moffat, Douglas, Blair``) stays as it is."""

import re
import unicodedata

# given names that are also surnames: alone, a word of these is someone's first name as often
GIVEN_NAMES = frozenset(
    """
    adam adrian alan albert alex alexander ali allan amy andrew andy ann anne anthony arnold
    arthur barry ben benjamin bernard bill billy bob bobby brian bruce carl carol caroline
    charles charlie chris christian christopher claire clive colin craig dan daniel darren
    david dean dennis derek diana douglas duncan edward elizabeth emma eric frank francis
    fred frederick gary gavin geoffrey george gerald gilbert glen glenn gordon graham grant
    greg gregory harold harry harvey helen henry herbert howard hugh ian jack jackie jackson
    james jane jean jeff jim jimmy joe john johnny jordan joseph julian justin karen keith
    kelly ken kenneth kevin lawrence lee leigh leonard lewis louis luke malcolm marie mark
    marshall martin mary matthew maurice max michael mitchell mohammed morgan muhammad murray
    neil nelson nicholas norman oliver owen patrick paul peter philip phillip ray raymond
    richard robert robin roger roland ronald rose ross roy russell ruth ryan sam samuel scott
    sean simon spencer stanley stephen steve steven stewart stuart terry thomas tim timothy
    tom tony vernon victor vincent walter wallace warren wayne william
    """.split()
)

# people known by one name, not the surname of another: "compatriot Ronaldo" of Real Madrid
# is not Cristiano Ronaldo
MONONYMS = frozenset("ronaldo ronaldinho rivaldo adriano kaka pele eminem madonna bono".split())

# capitalised common words the model takes for a surname ("Paying the Price", "Mac Format")
COMMON_WORDS = frozenset(
    """
    price law hill hunt frost format messenger closer bath labour wales england disc rice young
    king bell cook banks green white black grey gray rose march may page long little
    """.split()
)

# words written before a surname that make it a person's (titles, roles): "Mr Bush",
# "Chancellor Brown", "Striker Owen"
TITLES = frozenset(
    """
    mr mrs ms miss dr sir lord lady dame president prime minister chancellor senator sen rep
    governor gov general gen judge justice secretary coach captain skipper prince princess king
    queen pope professor prof archbishop bishop rev reverend father inspector detective
    sergeant officer chairman chief leader deputy manager boss striker defender midfielder
    winger keeper goalkeeper centre fly-half scrum-half full-back flanker lock hooker prop
    wing substitute replacement veteran star singer actor actress rapper director
    ambassador commissioner mayor chairwoman premier lords fellow team
    """.split()
)

# capitalised words that start a sentence or clause before a surname: "But Brown said"
FUNCTION_WORDS = frozenset(
    """
    but and or as when while if after before since because then so yet now meanwhile however
    also although though where with without for from to by at in on of said says told asked
    added according under like unlike both neither nor only even that what how why who did
    does do has had have is was will would could should can may might must yesterday today
    tonight last next this these those it he she they we i you his her their our not no yes
    there here until unless once whether about against between despite during over
    """.split()
)

# lower-case words of a person's name: "Vincent van Gogh", "Osama bin Laden"
PARTICLES = frozenset(
    "van von der den de del della di da dos das du la le bin ibn al el ter ten af zu y".split()
)

# a capitalised name word ("O'Callaghan", "Kilroy-Silk", "DiCaprio") or an initial ("W",
# "W."); not an acronym ("GB", "MSN") nor a word with a full stop ("Joe.")
_NAME_WORD = re.compile(r"^[A-Z](?:\.|[a-z]*(?:[A-Z][a-z]+)*(?:['-][A-Za-z][a-z]*)*)$")
_SUFFIX_WORDS = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def person_shaped(name: str) -> bool:
    """Whether a full name may be a person's as it is written: capitalised name words or
    particles, no fixture or punctuation, no title or role word first, and a first name that
    is more than an initial (``S Byrne`` may be any Byrne of an S)."""
    words = name.split()
    if len(words) < 2 or words[0].casefold().rstrip(".") in TITLES:
        return False
    if len(words[0].rstrip(".")) == 1:
        return False
    for n, word in enumerate(words):
        if word.casefold() in _SUFFIX_WORDS and n == len(words) - 1 and n >= 2:
            continue
        if word in PARTICLES and 0 < n < len(words) - 1:
            continue
        if not _NAME_WORD.match(_fold_letters(word)):
            return False
    return True


def _fold_letters(word: str) -> str:
    """A word with its accented letters as plain ones, so that the pattern reads any script's
    Latin names ("Erdoğan", "Valéry")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


_SENTENCE_END = re.compile(r"[.!?\"'“”‘’:;(\n]\s*$")


def stray_context(body: str, start: int, end: int) -> bool:
    """Whether a bare surname's mention sits where it is not a person named alone: after an
    article (``the Price``), after a capitalised word that is neither a title nor the start of
    a clause (``Tennessee Williams``, ``Baron Cohen``), or before a capitalised word or an
    ampersand (``Brown & Williamson``)."""
    before = body[max(0, start - 40) : start]
    after = body[end : end + 20]
    previous = re.search(r"(?<![\w£$€])([A-Za-z’'.-]+)\s+$", before)
    if previous:
        word = previous.group(1)
        lowered = word.casefold().rstrip(".")
        if len(word.rstrip(".")) == 1:
            return True  # an initial the name lost ("A Foley", "J. Smith")
        if lowered in {"the", "a", "an"}:
            # "Paying the Price", "the Agnelli family", but "the Bush administration" is
            # the person's
            return (
                re.match(r"(?:'s)?\s+(?!famil|clan|dynasty|brothers|sisters)[a-z]", after) is None
            )
        if word.endswith(".") and lowered not in TITLES:
            return False  # the end of a sentence: "... Steve Morgan. Parry joined"
        possessive = word.endswith(("'s", "’s", "'", "’"))
        if (
            word[:1].isupper()
            and not possessive
            and lowered not in TITLES
            and lowered not in FUNCTION_WORDS
        ):
            return True
    return re.match(r"\s+(?:&|[A-Z][a-z])", after) is not None


def initial_before(body: str, start: int) -> str | None:
    """The folded initial written just before a surname ("G Bulloch", "T. Smith"), if any."""
    found = re.search(r"(?<![\w.’'-])([A-Z])\.?\s+$", body[max(0, start - 6) : start])
    return found.group(1).lower() if found else None


_TITLE_BEFORE = re.compile(r"(?<![\w.])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Lady|Lord|Dame)\.?\s+$")


def titled(body: str, start: int) -> bool:
    """Whether a courtesy title is written just before a name ("Mr Howard", "Lady Hale"):
    what follows is a surname, whatever else the word may be."""
    return _TITLE_BEFORE.search(body[max(0, start - 8) : start]) is not None


def is_initialled(name: str) -> bool:
    """A surname after one initial, as line-ups write a player ("G Bulloch", "J. Worsley")."""
    words = name.split()
    return (
        len(words) == 2
        and re.fullmatch(r"[A-Z]\.?", words[0]) is not None
        and _NAME_WORD.match(_fold_letters(words[1])) is not None
        and len(words[1]) > 1
    )


_JOINERS = frozenset({"and", "&", "or", "for"})  # "Brown and Williamson", "Everitt for Parks"


def in_list(body: str, start: int, end: int) -> bool:
    """Whether a mention is in a list of names (a team line-up, "Subs Not Used: Eboue,
    Taylor", the companies "Liggett Group and Brown and Williamson"): its clause, between
    full stops (not an initial's), colons or line ends, has commas or semicolons and is all
    capitalised words, or has two or more and is mostly capitalised. A surname only listed
    there may be anyone of the name."""
    offset = max(0, start - 800)
    window = _INITIAL.sub(lambda m: m.group(1) + " ", body[offset : end + 800])
    at, until = start - offset, end - offset
    begin = max(window.rfind(c, 0, at) for c in ".:\n") + 1
    stops = [i for i in (window.find(c, until) for c in ".:\n") if i >= 0]
    clause = window[begin : min(stops) if stops else len(window)]
    words = [w.strip("()[],;") for w in clause.split()]
    words = [w for w in words if w and not w[:1].isdigit() and w not in _JOINERS]
    separators = clause.count(",") + clause.count(";")
    capitalised = sum(1 for w in words if w[:1].isupper())
    if separators >= 1 and len(words) >= 2 and capitalised == len(words):
        return True
    return separators >= 2 and capitalised >= 0.7 * len(words)


_INITIAL = re.compile(r"(?<![A-Za-z])([A-Z])\.")


def written_as_word(body: str, name: str) -> bool:
    """Whether the article also writes the name in lower case as a word ("Jobs will be lost"
    beside "cut 500 jobs"): a common word that a capital made a name."""
    word = name.lower()
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", body) is not None
