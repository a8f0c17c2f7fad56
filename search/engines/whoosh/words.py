"""A reader's parsed query (search/engines/reader_query.py) as a Whoosh query: each word looked
for in the title (boosted) and the text, analyzed as each field indexes it, as Whoosh's own
multi-field parser would build it; prefixes expanded to the index's words."""

from __future__ import annotations

from whoosh import query as wq

from search.engines.reader_query import Named, Node, QueryTooComplex, Tree, Words
from search.engines.whoosh.spelling import fold

TITLE_FIELD = "title"
TITLE_BOOST = 2.0
# Words one prefix may stand for: each is a pass over its postings.
MAX_PREFIX_TERMS = 200


class Expanded(wq.Or):
    """The words of the index a prefix stands for (counted as one word of the query)."""


def whoosh_query(tree: Tree, schema, reader, text_field: str) -> wq.Query:
    if tree is None:
        return wq.Every()
    if isinstance(tree, Named):
        return _any([wq.Term(tree.facet, term) for term in tree.terms])
    if isinstance(tree, Words):
        fields = [tree.field] if tree.field else [TITLE_FIELD, text_field]
        parts = [_in_field(tree, field, schema, reader) for field in fields]
        return _any([part for part in parts if part is not None])
    if tree.op == "and":
        # "a -b" / "a NOT b": AndNot, so that the excluded words add nothing to the score.
        negated = [c.children[0] for c in tree.children if isinstance(c, Node) and c.op == "not"]
        kept = [c for c in tree.children if not (isinstance(c, Node) and c.op == "not")]
        if kept and negated:
            positive = whoosh_query(Node("and", tuple(kept)), schema, reader, text_field)
            rendered = [whoosh_query(c, schema, reader, text_field) for c in negated]
            return wq.AndNot(positive, _any(rendered))
    children = [whoosh_query(child, schema, reader, text_field) for child in tree.children]
    if tree.op == "and":
        if len(children) == 1:
            return children[0]
        return wq.And(children) if children else wq.NullQuery
    if tree.op == "or":
        return _any(children)
    if tree.op == "not":
        return wq.Not(children[0])
    return wq.AndMaybe(children[0], _any(children[1:]))  # "maybe"


def _any(parts: list[wq.Query]) -> wq.Query:
    if not parts:
        return wq.NullQuery
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _in_field(words: Words, field: str, schema, reader) -> wq.Query | None:
    """The words in one field, or None where the field indexes none of them (stop words)."""
    boost = TITLE_BOOST if field == TITLE_FIELD else 1.0
    analyzer = schema[field]
    if words.phrase:
        terms = list(analyzer.process_text(" ".join(words.tokens), mode="query"))
        if len(terms) > 1:
            return wq.Phrase(field, terms, boost=boost)
        return wq.Term(field, terms[0], boost=boost) if terms else None
    plain = words.tokens[:-1] if words.prefix else words.tokens
    parts = [
        wq.Term(field, term, boost=boost)
        for token in plain
        for term in analyzer.process_text(token, mode="query")
    ]
    if words.prefix:
        parts.append(_prefix(field, words.tokens[-1], reader, boost))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _prefix(field: str, token: str, reader, boost: float) -> wq.Query:
    start = fold(token)
    found = []
    for term in reader.expand_prefix(field, start):
        found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        if len(found) > MAX_PREFIX_TERMS:
            raise QueryTooComplex(
                f"More than {MAX_PREFIX_TERMS} words start with {token!r}: give more letters."
            )
    if not found:
        return wq.NullQuery
    return Expanded([wq.Term(field, term, boost=boost) for term in found])
