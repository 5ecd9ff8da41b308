"""The query language's syntax tree rendered as a PostgreSQL tsquery (``app.search.language``
parses it, ``fts5.py`` renders FTS5): the PostgreSQL compiler of the one query model."""

from app.search.language import And, Group, Near, Node, Not, Or, Scope, Term, children

# tsquery weight labels of the fields (the migration gives titles A, bodies B)
_WEIGHTS = {"title": "A", "body": "B"}
# NEAR(a b, N) becomes every order and distance 1..N+1 of each pair; past this many
# alternatives it is rendered as a plain AND (a looser match, still bounded in cost)
_MAX_NEAR_ALTERNATIVES = 1000


def render_tsquery(node: Node, weight: str = "") -> str:
    """A ``to_tsquery('corpus', …)`` string
    (https://www.postgresql.org/docs/15/datatype-textsearch.html#DATATYPE-TSQUERY). Each word
    is a quoted lexeme, so nothing in user text is read as an operator; ``weight`` limits every
    lexeme to one field."""
    match node:
        case Term(text, prefix):
            words = text.split()
            lexemes = [tsquery_lexeme(word) for word in words]
            if prefix or weight:
                lexemes[-1] += ":" + ("*" if prefix else "") + weight
            lexemes[:-1] = [lexeme + (f":{weight}" if weight else "") for lexeme in lexemes[:-1]]
            return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
        case Near(terms, distance):
            return _render_near([render_tsquery(t, weight) for t in terms], distance)
        case And(parts):
            return "(" + " & ".join(render_tsquery(p, weight) for p in parts) + ")"
        case Or(parts):
            return "(" + " | ".join(render_tsquery(p, weight) for p in parts) + ")"
        case Not(keep, drop):
            return f"({render_tsquery(keep, weight)} & !{render_tsquery(drop, weight)})"
        case Scope(field, inner):
            return render_tsquery(inner, _WEIGHTS[field])
        case Group(inner):
            rendered = render_tsquery(inner, weight)
            return rendered if rendered.startswith("(") else f"({rendered})"
    raise TypeError(node)


def render_prefilter(node: Node) -> str | None:
    """For a query that GIN can only answer with a recheck of each candidate's tsvector (a
    phrase, NEAR or a field scope: the index keeps neither positions nor weights), the same
    query without them: phrases and NEAR as plain ANDs of their words, scopes dropped. It
    finds a superset of the matches from the index alone, with no recheck. None when the
    query needs no recheck, or holds a NOT (there the looser query is no superset)."""
    if not _needs_recheck(node) or _has_not(node):
        return None
    return _loose(node)


def _loose(node: Node) -> str:
    match node:
        case Term(text, prefix):
            lexemes = [tsquery_lexeme(word) for word in text.split()]
            lexemes[-1] += ":*" if prefix else ""
            return lexemes[0] if len(lexemes) == 1 else "(" + " & ".join(lexemes) + ")"
        case Near(terms, _):
            return "(" + " & ".join(_loose(t) for t in terms) + ")"
        case And(parts):
            return "(" + " & ".join(_loose(p) for p in parts) + ")"
        case Or(parts):
            return "(" + " | ".join(_loose(p) for p in parts) + ")"
        case Scope(_, inner) | Group(inner):
            return _loose(inner)
    raise TypeError(node)


def _needs_recheck(node: Node) -> bool:
    if isinstance(node, Near | Scope) or (isinstance(node, Term) and " " in node.text.strip()):
        return True
    return any(_needs_recheck(child) for child in children(node))


def _has_not(node: Node) -> bool:
    return isinstance(node, Not) or any(_has_not(child) for child in children(node))


def _render_near(terms: list[str], distance: int) -> str:
    """FTS5's NEAR is unordered and "at most N words between"; tsquery's ``<N>`` is ordered and
    exact. So each pair of terms must be ``<1>`` … ``<N+1>`` apart in either order: the same
    set for two terms, and for more (each pair within N) the same whenever a term occurs once."""
    pairs = [(a, b) for i, a in enumerate(terms) for b in terms[i + 1 :]]
    if len(pairs) * 2 * (distance + 1) > _MAX_NEAR_ALTERNATIVES:
        return "(" + " & ".join(terms) + ")"
    near = [
        "("
        + " | ".join(f"{x} <{d}> {y}" for d in range(1, distance + 2) for x, y in ((a, b), (b, a)))
        + ")"
        for a, b in pairs
    ]
    return near[0] if len(near) == 1 else "(" + " & ".join(near) + ")"


def tsquery_lexeme(word: str) -> str:
    """A quoted tsquery lexeme: inside quotes, only a quote and a backslash need escaping."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
