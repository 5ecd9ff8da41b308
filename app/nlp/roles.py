"""Which people a role description ("the deputy mayor") may refer back to, by the titles written
before their names, and which words only describe a subject (``app.nlp.speakers``)."""

from spacy.tokens import Doc, Token

from app.nlp.entities import EntityMention


def holding_role(role: Token, people: list[EntityMention]) -> list[EntityMention]:
    """People whose title fits a role description: for "the deputy mayor", those introduced
    as "Deputy Mayor …" if any; never those introduced with another title on the same noun
    ("President Donald Trump")."""
    wanted = {t.lower_ for t in role.subtree if t.dep_ != "det" and t.i <= role.i}
    titled, untitled = [], []
    for person in people:
        title = _title_of(role.doc, person)
        if wanted <= title:
            titled.append(person)
        elif role.lower_ not in title:
            untitled.append(person)
    return titled or untitled


def _title_of(doc: Doc, mention: EntityMention) -> set[str]:
    """Lower-cased words written just before a name as its title ("Deputy Mayor", "CEO")."""
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return set()
    words: set[str] = set()
    i = span.start - 1
    while i >= 0 and doc[i].pos_ in ("PROPN", "NOUN", "ADJ") and not doc[i].ent_type_:
        words.add(doc[i].lower_)
        i -= 1
    return words


def describing_spans(subject: Token) -> list[tuple[int, int]]:
    """Where the words that describe a subject lie: its possessor ("Castro's aide") and the
    phrases after it ("the account for the show", "the aide who …")."""
    spans = []
    for child in subject.children:
        if child.dep_ in ("poss", "acl", "relcl"):
            left, right = child.left_edge, child.right_edge
            spans.append((left.idx, right.idx + len(right)))
    return spans
