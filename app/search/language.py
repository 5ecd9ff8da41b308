"""The search query language, parsed here into a syntax tree that each engine renders in its own
syntax (SQLite FTS5 and PostgreSQL tsquery); user text is never passed through.

    word            every word must match (stemmed, case and accent insensitive)
    "a phrase"      words next to each other, in order
    a OR b          either
    -word, NOT word not this
    pre*            any word starting with "pre"
    NEAR(a b, 5)    a and b at most 5 words apart; "a b"~5 is the same
    ( … )           grouping
    title:word      only in titles; body:word only in bodies; also title:"a phrase", title:(…)

Operators are upper case; "or" and "not" in lower case are ordinary words.

FTS5 reads every document of every term, and cannot be interrupted while it does, so a query's
cost is bounded here, before it runs: a term repeated within one AND, OR or NOT list counts
once, at most ``MAX_TERMS`` different terms and ``MAX_PREFIXES`` prefixes, each prefix at least
``MIN_PREFIX`` characters (``a*`` reads every document of a 100,000-article corpus).
"""

import re
from dataclasses import dataclass

FIELDS = ("title", "body")
_MAX_NEAR = 100
# FTS5's own parser overflows on deeply nested expressions
_MAX_DEPTH = 20
# a word or phrase without letters or digits ("-", "*", "&") is no term: FTS5 would match nothing
_has_word_re = re.compile(r"[^\W_]")
_control_re = re.compile(r"[\x00-\x1f\x7f]")


MAX_TERMS = 16
MAX_PREFIXES = 4
MIN_PREFIX = 2


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


class QueryTooCostly(QuerySyntaxError):
    """A well-formed query that would cost too much to run."""


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PHRASE LPAREN RPAREN OR NOT MINUS NEAR FIELD COMMA
    text: str
    position: int
    prefix: bool = False  # WORD followed by *
    distance: int | None = None  # PHRASE followed by ~N


# --- the syntax tree: parsed once, rendered per engine --------------------------------------


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words next to each other in order; ``prefix``: the last word is
    a prefix (``tarif*``)."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Near:
    """Terms at most ``distance`` words apart, in any order."""

    terms: tuple[Term, ...]
    distance: int


@dataclass(frozen=True)
class And:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    """``keep`` without any match of ``drop``."""

    keep: "Node"
    drop: "Node"


@dataclass(frozen=True)
class Scope:
    """``node`` matched in one field only (``title:``)."""

    field: str
    node: "Node"


@dataclass(frozen=True)
class Group:
    """Parentheses the user wrote, kept so renderings stay as written."""

    node: "Node"


Node = Term | Near | And | Or | Not | Scope | Group


_token_re = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<near>NEAR\()
  | (?P<field>(?:title|body):)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<phrase>"[^"]*"(?:~[0-9]+)?)
  | (?P<quote>")
  | (?P<minus>-(?=[^\s-]))
  | (?P<word>[^\s()",]+)
    """,
    re.VERBOSE,
)


def tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _token_re.finditer(query):
        kind, text, at = match.lastgroup, match.group(), match.start()
        if kind == "space":
            continue
        if kind == "quote":
            raise QuerySyntaxError('unclosed quotation mark "', at)
        if kind in ("phrase", "word") and not _has_word_re.search(text):
            continue
        if kind == "phrase":
            body, _, distance = text[1:].partition('"')
            near = int(distance[1:]) if distance else None
            if near is not None and near > _MAX_NEAR:
                raise QuerySyntaxError(f"proximity must be {_MAX_NEAR} words or less", at)
            tokens.append(_Token("PHRASE", body, at, distance=near))
        elif kind == "word" and text in ("OR", "AND", "NOT"):
            tokens.append(_Token(text, text, at))
        elif kind == "word":
            prefix = text.endswith("*") and len(text) > 1
            tokens.append(_Token("WORD", text.rstrip("*") if prefix else text, at, prefix=prefix))
        else:
            assert kind is not None
            tokens.append(_Token(kind.upper(), text, at))
    return tokens


class _Parser:
    """Recursive descent over the tokens, producing the syntax tree."""

    def __init__(self, query: str, fields: tuple[str, ...]) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0
        self.fields = fields
        self.terms: set[str] = set()
        self.prefixes: set[str] = set()

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("the query has no words to search for", 0)
        expression = self.or_expr()
        if (token := self.peek()) is not None:
            raise QuerySyntaxError(f"unexpected {token.text!r}", token.position)
        return expression

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            following = self.peek()
            if following is None or following.kind in ("OR", "RPAREN", "COMMA"):
                raise QuerySyntaxError("OR needs a term after it", token.position)
            parts.append(self.and_expr())
        parts = list(dict.fromkeys(parts))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        start = self.peek()
        positive: list[Node] = []
        negative: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN", "COMMA"):
            if token.kind == "AND":
                self.take()
                continue
            if token.kind in ("NOT", "MINUS"):
                self.take()
                if (target := self.peek()) is None or target.kind in ("OR", "RPAREN"):
                    raise QuerySyntaxError(f"{token.text} needs a term after it", token.position)
                negative.append(self.primary())
            else:
                positive.append(self.primary())
        if not positive and start is not None and start.kind == "OR":
            raise QuerySyntaxError(f"{start.text} needs a term before it", start.position)
        if not positive:
            position = start.position if start is not None else len(self.query)
            raise QuerySyntaxError("a query needs at least one term that must match", position)
        positive, negative = list(dict.fromkeys(positive)), list(dict.fromkeys(negative))
        expression = positive[0] if len(positive) == 1 else And(tuple(positive))
        if negative:
            # NOT is binary: "a NOT (b OR c)" keeps the expression flat
            excluded = negative[0] if len(negative) == 1 else Or(tuple(negative))
            expression = Not(expression, excluded)
        return expression

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "LPAREN":
            if (inner := self.peek()) is not None and inner.kind == "RPAREN":
                raise QuerySyntaxError("empty parentheses", token.position)
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                message = f"parentheses nest more than {_MAX_DEPTH} deep"
                raise QuerySyntaxError(message, token.position)
            expression = self.or_expr()
            self.depth -= 1
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise QuerySyntaxError("unclosed parenthesis (", token.position)
            self.take()
            return Group(expression)
        if token.kind == "FIELD":
            field = token.text[:-1]
            if field not in self.fields:
                where = " and ".join(f"{f}:" for f in self.fields)
                message = (
                    f"{field}: is not available here (only {where})"
                    if where
                    else "field scopes such as title: are not available here"
                )
                raise QuerySyntaxError(message, token.position)
            target = self.peek()
            if target is None or target.kind not in ("WORD", "PHRASE", "LPAREN", "NEAR"):
                raise QuerySyntaxError(f"{token.text} needs a term after it", token.position)
            return Scope(field, self.primary())
        if token.kind == "NEAR":
            return self.near(token)
        if token.kind == "WORD":
            return self.term(token)
        if token.kind == "PHRASE":
            self.count(token, token.text.split())
            if token.distance is not None:
                words = token.text.split()
                if len(words) < 2:
                    raise QuerySyntaxError(
                        "a proximity search needs two words or more", token.position
                    )
                return Near(tuple(Term(w) for w in words), token.distance)
            return Term(token.text)
        raise QuerySyntaxError(f"unexpected {token.text!r}", token.position)

    def near(self, opening: _Token) -> Node:
        terms: list[Term] = []
        distance = 10
        while (token := self.peek()) is not None and token.kind in ("WORD", "PHRASE"):
            self.take()
            terms.append(self.term(token))
        if (token := self.peek()) is not None and token.kind == "COMMA":
            self.take()
            number = self.peek()
            if number is None or number.kind != "WORD" or not re.fullmatch("[0-9]+", number.text):
                raise QuerySyntaxError("NEAR( needs a distance after the comma", token.position)
            self.take()
            distance = int(number.text)
            if distance > _MAX_NEAR:
                raise QuerySyntaxError(
                    f"proximity must be {_MAX_NEAR} words or less", number.position
                )
        closing = self.peek()
        if closing is None or closing.kind != "RPAREN":
            raise QuerySyntaxError("unclosed NEAR(", opening.position)
        self.take()
        if len(terms) < 2:
            raise QuerySyntaxError("NEAR( needs two terms or more", opening.position)
        return Near(tuple(terms), distance)

    def term(self, token: _Token) -> Term:
        """A word or phrase, counted against the cost limits."""
        if token.prefix:
            if len(token.text) < MIN_PREFIX:
                raise QueryTooCostly(
                    f"a prefix needs at least {MIN_PREFIX} characters before *", token.position
                )
            self.prefixes.add(token.text.lower())
            if len(self.prefixes) > MAX_PREFIXES:
                raise QueryTooCostly(
                    f"a query may hold at most {MAX_PREFIXES} prefixes", token.position
                )
            return Term(token.text, prefix=True)
        self.count(token, token.text.split())
        return Term(token.text)

    def count(self, token: _Token, words: list[str]) -> None:
        self.terms.update(word.lower() for word in words)
        if len(self.terms) > MAX_TERMS:
            raise QueryTooCostly(
                f"a query may hold at most {MAX_TERMS} different words", token.position
            )


def parse(query: str, *, fields: tuple[str, ...] = FIELDS) -> Node:
    """The syntax tree of a user query, or ``QuerySyntaxError`` saying where it is wrong."""
    # control characters are not text; an engine could read a NUL as the end of the query
    return _Parser(_control_re.sub(" ", query), fields).parse()


# --- walking the tree (each engine renders it: app/engines/fts5.py, tsquery.py) ---------------


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly inside ``node``."""
    match node:
        case Near(terms, _):
            return terms
        case And(parts) | Or(parts):
            return parts
        case Not(keep, drop):
            return (keep, drop)
        case Scope(_, inner) | Group(inner):
            return (inner,)
    return ()


def has_prefix(node: Node) -> bool:
    """Does the query hold a prefix (``tarif*``)? Its matches cost a read of every term the
    prefix covers."""
    return (isinstance(node, Term) and node.prefix) or any(map(has_prefix, children(node)))


_name_word_re = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    """The words of a name query (letters and digits), for prefix matching on names."""
    return _name_word_re.findall(text)
