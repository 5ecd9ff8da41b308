"""Person names the model cut short or typed wrong (issue 20, "one person, one entity"), as
data tables. Within one text:

- a one-word person the model cut from its first name (``Olly`` left out of ``Olly Barkley``,
  ``Featuring Cliff`` of ``Cliff Richard``) or from the rest of a hyphenated surname
  (``Chan`` of ``Chan-o-cha``) gets its whole name back (``span_bounds``);
- a one-word person written right after an organisation is that organisation's last word
  (``Lockheed`` ``Martin``);
- a full name the model typed as an organisation (``Bernie Ebbers`` ORG beside ``Mr Ebbers``)
  is a person when it is shaped as one: a first and a last name, or three names the first of
  them a known first name, the last not an organisation's word (``Manchester City``)
  (``retype``);
- a one-word person that is a word of a longer organisation or work named as often
  (``Twentieth Century Fox`` … ``If Fox decided``) is that organisation or work.

Each rule works on what the text itself writes; nothing is looked up across the corpus."""

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

# first names, as alone they are seldom anything but a person's: a name of another type whose
# first word is one of these and whose last word is a person in the same text is that person
FIRST_NAMES = frozenset(
    """
    aaron abdul adam adrian ahmed aidan alan albert alberto alec alejandro alessandro alex
    alexander alfred ali alice alicia alison amanda amy andre andrea andreas andrew andy angela
    angus ann anna anne annie anthony antonio arnold arthur ashley barbara barry ben benjamin
    bernard bernie bert beth betty bill billy bob bobby brad brendan brian bruce bruno carl
    carlo carlos carol caroline catherine charles charlie charlotte chris christian christine
    christophe christopher claire claude clive colin craig cyril dan daniel danny darren dave
    david dean deborah denis dennis derek diana diane dick dominic don donald doug douglas
    duncan eddie edward elizabeth ellen emily emma eric ernest eva fernando finlay fiona frank
    frankie fred freddie gareth gary gavin geoff geoffrey george gerald gerard gordon graham
    greg gregory guy hans harold harriet harry hazel heather helen henry herbert hilary howard
    hugh iain ian isaac jack jackie jacques jake james jamie jan jane janet jason javier jean
    jeff jennifer jeremy jerry jessica jill jim jimmy joan joanna joe joel johan john johnny
    jon jonathan jonny jose joseph josh juan judith julia julian julie justin karen kate
    katherine kathleen keith ken kenneth kevin kieran kim kirsty laura lauren lawrence lee
    leo leonard leonardo les lesley lewis liam linda lisa louis louise lucy luis luke lynn
    malcolm marc marco margaret maria mark martin martina mary matt matthew maurice max megan
    michael michel michelle mick mike miguel mohammed muhammad nancy natalie neil nicholas
    nick nicola nigel noel norman oliver olly owen pablo pamela patricia patrick paul paula
    pauline pedro pete peter phil philip pierre rachel ralph ray raymond rebecca rhys richard
    rick rob robert robbie robin roger ron ronald rory ross roy ruth ryan sally sam samantha
    samuel sandra sarah scott sean sebastian sebastien sergio sharon shaun sheila simon sophie
    stephen steve steven stuart sue susan suzanne tanya ted terry thomas tim timothy toby tom
    tommy tony trevor valerie vanessa victor victoria vincent walter wayne wendy william willie
    yvonne zoe
    """.split()
)

# last words of organisations' and places' names, never a surname of theirs: "Manchester City"
ORG_WORDS = frozenset(
    """
    city united town county rovers wanderers athletic rangers albion villa academicals
    group party council bank league union association club college university school
    institute church cathedral hall house centre center park street road square bridge
    airport station press news times post herald records studios films pictures motors
    airlines airways foundation trust fund corporation company partners holdings
    """.split()
)

# the labels a person's name is wrongly given, and those of the longer names a word of which
# the model takes for a person
_MISTYPED = frozenset({"ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART", "EVENT"})
_CONTAINERS = frozenset({"ORG", "WORK_OF_ART", "PRODUCT", "FAC", "EVENT", "LAW"})
# words after a surname that make a thing of the person's, not another thing: "the Bush
# Administration" is Bush's
_PERSONS_THINGS = frozenset(
    "administration government campaign family cabinet era camp team years doctrine".split()
)
# a name word as the model writes a first name: capitalised letters, an apostrophe or hyphen
_NAME_WORD = re.compile(
    r"^(?:Mc|Mac|O['’]|D['’])?[A-Z][a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)?(?:-[A-Z][a-zà-ÿ]+)?$"
)


class _Mention(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...


M = TypeVar("M", bound=_Mention)


def retype(mentions: Sequence[M], relabel: Callable[[M, str], M]) -> list[M]:
    """The mentions of one text with person names typed as other things made people, and
    one-word people that are a word of a longer organisation or work given its type."""
    persons = Counter(m.name for m in mentions if m.label == "PERSON" and " " not in m.name)
    full_surnames = {m.name.split()[-1] for m in mentions if m.label == "PERSON" and " " in m.name}
    longer = Counter((m.name, m.label) for m in mentions if " " in m.name)
    people: set[str] = set()
    for name, label in longer:
        words = name.split()
        if label not in _MISTYPED or not 2 <= len(words) <= 3:
            continue
        surname = words[-1]
        if surname not in persons or surname in full_surnames:
            continue
        if _person_shaped(words):
            people.add(name)
    things: dict[str, str] = {}
    for (name, label), count in longer.items():
        words = name.split()
        if label not in _CONTAINERS or name in people or _person_shaped(words) or "," in name:
            continue  # a list the model took for one name: "Shields, Moore"
        if persons_thing(name):
            continue
        for word in {words[0], words[-1]}:
            if word in persons and word not in full_surnames and persons[word] <= count:
                things.setdefault(word, label)
    out: list[M] = []
    for m in mentions:
        if m.name in people and m.label != "PERSON":
            m = relabel(m, "PERSON")
        elif m.label == "PERSON" and m.name in things:
            m = relabel(m, things[m.name])
        out.append(m)
    return out


def persons_thing(name: str) -> bool:
    """Whether a name is a person's thing ("Bush Administration"), not another thing."""
    return any(w.casefold() in _PERSONS_THINGS for w in name.split())


def _person_shaped(words: list[str]) -> bool:
    """A first and a last name ("Rafael Nadal"), or three names of which the first is a
    known first name ("Mary Jo Smith"): not "Twentieth Century Fox", "UC Davis"."""
    if words[-1].casefold() in ORG_WORDS or any(w.casefold() in _PERSONS_THINGS for w in words):
        return False
    if len(words) == 2 and re.fullmatch(r"[A-Z]\.?", words[0]):
        return _NAME_WORD.match(words[1]) is not None  # "S Lamont" in a line-up
    if not all(_NAME_WORD.match(w) for w in words):
        return False
    return len(words) == 2 or (len(words) == 3 and words[0].casefold() in FIRST_NAMES)


# --- spans the model cut short ----------------------------------------------------------------


class _Token(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def tag_(self) -> str: ...
    @property
    def idx(self) -> int: ...
    @property
    def ent_type_(self) -> str: ...
    @property
    def whitespace_(self) -> str: ...


_INITIAL = re.compile(r"^[A-Z]\.?$")
# a hyphenated rest of a surname: "-o-cha", "-Smith" (not "-era", "-led", "-style")
_HYPHEN_REST = re.compile(r"-(?:[A-Z][a-z]+|[a-z]{1,2}-[a-z]+)(?:-[A-Za-z]+)*(?![\w-])")


class _Span(Protocol):
    @property
    def doc(self) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...


def whole_name(
    ent: _Span, body: str, start: int, end: int, stop_words: frozenset[str]
) -> tuple[int, int]:
    """The bounds of a one-word person ``ent`` (trimmed to ``start:end``) made whole
    (``span_bounds``)."""
    at = next((t.i for t in ent if t.idx == start), None)
    before = ent.doc[at - 1] if at is not None and at > 0 else None
    return span_bounds(body, start, end, before, stop_words)


class _Named(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def text(self) -> str: ...


N = TypeVar("N", bound=_Named)


def org_before(last: _Named, body: str, start: int, end: int) -> bool:
    """Whether a one-word person at ``start:end`` is written right after an organisation,
    one space between ("Lockheed Martin"); not after a known name's short form ("EU")."""
    return (
        last.label == "ORG"
        and last.end == start - 1
        and body[last.end] == " "
        and " " not in body[start:end]
        and last.name.casefold() == last.text.casefold()
    )


# lower-case words before a title ("the sketch comedy Jam", "the film Alexander") or after it
# (", starring"): a work's name, not a person's
_WORK_BEFORE = re.compile(
    r"\b(?:film|movie|comedy|drama|sitcom|series|show|album|single|song|musical|play|novel|"
    r"documentary|thriller|biopic|cartoon|soap|opera)\s+$"
)
_WORK_AFTER = re.compile(r"^,?\s+(?:starring|directed by)\b")


def work_title(body: str, start: int, end: int) -> str | None:
    """WORK_OF_ART for a one-word "person" the text writes as a work's title."""
    if " " in body[start:end]:
        return None
    if _WORK_BEFORE.search(body[max(0, start - 16) : start]) or _WORK_AFTER.match(
        body[end : end + 16]
    ):
        return "WORK_OF_ART"
    return None


def span_bounds(
    body: str,
    start: int,
    end: int,
    before: _Token | None,
    stop_words: frozenset[str],
) -> tuple[int, int]:
    """The bounds of a one-word person's name with the first name or initial the model left
    out (the capitalised proper noun just before it, no entity, title or role word of its own:
    "S Easterby" and "G Easterby" of one line-up are two people) and the hyphenated rest of
    its surname."""
    if " " in body[start:end].strip():
        return start, end
    if (
        before is not None
        and before.whitespace_ == " "
        and before.idx + len(before.text) + 1 == start
        and before.tag_ == "NNP"
        and not before.ent_type_
        and (_NAME_WORD.match(before.text) or _INITIAL.match(before.text))
        and before.text.casefold() not in stop_words
        and before.text.casefold() not in FIRST_NAMES_NOT
    ):
        start = before.idx
    if m := _HYPHEN_REST.match(body, end):
        end = m.end()
    return start, end


# capitalised words before a surname that are not a first name whatever the tagger says
FIRST_NAMES_NOT = frozenset(
    """
    mr mrs ms miss dr sir lord lady dame saint st prince princess king queen pope father
    captain coach manager boss chairman president premier minister chancellor secretary
    senator governor judge justice general colonel major sergeant officer inspector detective
    professor uncle aunt brother sister
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december
    """.split()
)


_COUPLE_JOIN = re.compile(r"^ (?:and|&) $")


def couples(body: str, mentions: Sequence[N], rename: Callable[[N, str], N]) -> list[N]:
    """A first name written before "and" and a full name shares its surname ("Ruth and
    Owen Tranter": Ruth Tranter)."""
    out = list(mentions)
    for n in range(len(out) - 1):
        first, full = out[n], out[n + 1]
        if (
            first.label == "PERSON"
            and full.label == "PERSON"
            and first.name.casefold() in FIRST_NAMES
            and " " not in first.name
            and len(full.name.split()) == 2
            and _COUPLE_JOIN.match(body[first.end : full.start])
        ):
            out[n] = rename(first, f"{first.name} {full.name.split()[-1]}")
    return out
