"""The query tree rendered as an SQLite FTS5 MATCH expression: every word a quoted string, so
user text is never read as an operator."""

from app.search.language import FIELDS, And, Group, Near, Node, Not, Or, Scope, Term, parse


def render_fts5(node: Node) -> str:
    """An FTS5 MATCH expression (https://sqlite.org/fts5.html#full_text_query_syntax)."""
    match node:
        case Term(text, prefix):
            return _string(text) + (" *" if prefix else "")
        case Near(terms, distance):
            return f"NEAR({' '.join(render_fts5(t) for t in terms)}, {distance})"
        case And(parts):
            return "(" + " AND ".join(render_fts5(p) for p in parts) + ")"
        case Or(parts):
            return "(" + " OR ".join(render_fts5(p) for p in parts) + ")"
        case Not(keep, drop):
            return f"({render_fts5(keep)} NOT {render_fts5(drop)})"
        case Scope(field, inner):
            return f"{field} : {render_fts5(inner)}"
        case Group(inner):
            # And, Or and Not bring their own parentheses
            rendered = render_fts5(inner)
            return rendered if rendered.startswith("(") else f"({rendered})"
    raise TypeError(node)


def _string(text: str) -> str:
    """An FTS5 string: everything inside is a plain word, never an operator."""
    return '"' + text.replace('"', '""') + '"'


def to_fts5(query: str, *, fields: tuple[str, ...] = FIELDS) -> str:
    """Translate a user query to an FTS5 MATCH expression or raise ``QuerySyntaxError``."""
    return render_fts5(parse(query, fields=fields))
