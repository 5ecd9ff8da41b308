"""Where a reported statement starts and ends (issue 20): the span a speech verb's clause or an
"according to" reports, cut at the next statement, a paragraph break or a semicolon, and joined
where the parser split it. Used by ``app.nlp.reported``."""

from spacy.tokens import Span, Token

from app.nlp.cues import FINITE_TAGS, NAMING_VERBS, NEXT_STATEMENT_DEPS, STATEMENT_ENDS
from app.nlp.spans import QUOTE_MARKS, trim_span
from app.nlp.speakers import SPEAKER_DEPS, verb_lemma


def sentence_between(last: Token, verb: Token) -> bool:
    """A semicolon or a full stop between a clause and the speech verb after it: the clause is
    a sentence of its own, not what the verb reports (issue 20)."""
    return any(t.text in STATEMENT_ENDS for t in last.doc[last.i + 1 : verb.i])


def leads(verb: Token) -> bool:
    """ "He added: "…"": a verb before a colon introduces what follows it."""
    doc = verb.doc
    return verb.i + 1 < len(doc) and doc[verb.i + 1].text == ":"


def second_clause(span: Span, clauses: list[Token]) -> Span | None:
    """ "said [it was satisfied] the question was fair": the parser made the clause of the
    adjective a second clause of the verb; the statement runs over both (issue 20)."""
    doc = span.doc
    for other in clauses:
        if other.left_edge.i == span.end and not doc[span.end - 1].is_punct:
            return doc[span.start : other.right_edge.i + 1]
    return None


def run_on(clause: Span) -> Span | None:
    """A clause the parser cut before its own verb: "said [the UK wanted budgets] were
    limited", "said [who issued the orders] was not the issue": it runs to the end of its
    sentence (issue 20: reported clauses cut before their end)."""
    doc = clause.doc
    i = clause.end
    while i < len(doc) and doc[i].text in QUOTE_MARKS:
        i += 1
    if i >= len(doc) or doc[i].tag_ not in FINITE_TAGS or doc[i].sent != clause[0].sent:
        return None
    return doc[clause.start : doc[i].sent.end]


def in_paragraph(span: Span, after: bool = True) -> Span:
    """A reported clause never runs over a paragraph break, nor over a semicolon outside
    quotation marks: after the verb it ends there, before it ("A; B, she said") it starts
    after it (issue 20: the writer's clause or another's view merged in)."""
    for token in span[1:]:
        if "\n" in token.text or (token.i and "\n" in token.doc[token.i - 1].whitespace_):
            span = span.doc[span.start : token.i]
            break
    stops = [t for t in span[1:-1] if t.text == ";" and not within_marks(t)]
    if stops and after:
        return span.doc[span.start : stops[0].i]
    if stops:
        return span.doc[stops[-1].i + 1 : span.end]
    return span


def within_marks(token: Token) -> bool:
    """Whether ``token`` stands inside quotation marks or brackets in its sentence ("$5bn;
    £3bn)" lists amounts, it ends nothing)."""
    before = token.doc[token.sent.start : token.i]
    if sum(t.text in QUOTE_MARKS for t in before) % 2 == 1:
        return True
    return sum(t.text == "(" for t in before) > sum(t.text == ")" for t in before)


def before_next_statement(clause: Span) -> Span:
    """A clause up to a second speech verb it runs into: "told the paper [truancy was bad]
    and said action was needed", "said [they backed him], with 40% saying they did not"
    (issue 20: two statements are two quotes, not one)."""
    for token in clause[1:]:
        lemma = verb_lemma(token.text)
        own_subject = any(c.dep_ in SPEAKER_DEPS for c in token.children)
        if (
            token.dep_ in NEXT_STATEMENT_DEPS
            and lemma is not None
            and lemma not in NAMING_VERBS
            # "… and the rivals were not asking questions" is still the same statement
            and not own_subject
        ):
            cut = token.left_edge.i
            while cut > clause.start and (
                clause.doc[cut - 1].dep_ in ("cc", "punct", "prep") or clause.doc[cut - 1].is_space
            ):
                cut -= 1
            if cut > clause.start:
                return clause.doc[clause.start : cut]
    return clause


def according_to_content(according: Token) -> Span | None:
    """ "According to X, <clause>" or "<clause>, according to X": the sentence without the
    attribution phrase; "<subject>, according to X, <predicate>": the longer side of it."""
    sentence = according.sent
    phrase = list(according.subtree)
    first, last = phrase[0].i, phrase[-1].i
    before = sentence.doc[sentence.start : first]
    after = sentence.doc[last + 1 : sentence.end]
    span = after if len(after) > len(before) else before
    rest = [t for t in after if not (t.is_punct or t.is_space)]
    if trim_span(before) and rest:
        # the verb the phrase stands before: its head, or the first word after it
        verb = according.head if according.head.i > last else rest[0]
        if (
            verb.dep_ in ("conj", "relcl")
            and verb.pos_ in ("VERB", "AUX")
            # "which, according to X, omits …", not "…, according to X, who said …"
            and not any(t.tag_ in ("WP", "WDT") for t in sentence.doc[last + 1 : verb.i])
        ):
            span = clause_around(verb)
    while len(span) and (span[0].is_punct or span[0].is_space):
        span = span[1:]
    return trim_span(span)


def clause_around(verb: Token) -> Span:
    """The statement an "according to" set inside a relative clause or a second conjunct
    attributes, the phrase left in: "an edition [which, according to X, omits reports]" with
    its noun, "[men robbed the shop, then, according to X, fled]" (issue 20: one side of the
    phrase alone was a cut statement)."""
    while verb.dep_ == "conj" and verb.head is not verb:
        verb = verb.head
    if verb.dep_ == "relcl":
        verb = verb.head
    return verb.doc[verb.left_edge.i : verb.right_edge.i + 1]
