"""What readers type in the search box, read the same way for every engine.

Words, "phrases", AND / OR / NOT (capitals; AND binds tighter than OR, and words side by side
must all match), -word and +word, and parentheses. A word ending in * is a prefix ("Volck*",
at least MIN_PREFIX letters). A field name before a word or phrase narrows it: `title:` to
titles, and each facet's name (`person:`, `place:`, `organization:`, `source:`) to articles
naming an entity (or source) whose name holds it ("person:volcker"). No ranges and no other
wildcards: those characters are punctuation. A hyphen inside a word joins it ("Rolls-Royce" is
the phrase it indexes as). Bounded: at most MAX_QUERY_TERMS terms, phrases of at most
MAX_PHRASE_WORDS words. Malformed input (an unclosed quote or parenthesis, an operator with
nothing beside it, an unknown field) is read as plain words, never refused.

Both adapters render the tree below (search/engines/whoosh/engine.py and solr/engine.py); the
contract suite checks that they find the same articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.facets import BY_NAME, BadParameter

# Each word of a query is a pass over its postings; each field doubles it (title and text).
MAX_QUERY_TERMS = 64
# A quoted sentence is a fair search; a longer phrase costs more than it narrows.
MAX_PHRASE_WORDS = 20
FIELDS = 2  # a word is looked for in the title and in the text
MIN_PREFIX = 3  # "ab*" would stand for thousands of words
TEXT_FIELDS = ("title",)  # a field a word may be narrowed to (the default is title and text)

# The index's tokens: runs of word characters, dots inside them kept ("U.S", "3.5").
TOKEN = re.compile(r"\w+(?:\.?\w+)*")
_HYPHENATED = re.compile(r"\w+(?:-\w+)+")
_PIECES = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+|"[^"]*$')
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


class QueryTooComplex(BadParameter):
    """A reader's query that would cost more than a search may: a 400 with the reason."""


def hyphenated_as_phrases(text: str) -> str:
    """A hyphen inside a word joins it ("Rolls-Royce", "year-on-year"): the word is searched
    as the phrase it indexes as. Only a hyphen that begins a word means NOT ("-word")."""
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside quotes
        parts[i] = _HYPHENATED.sub(lambda m: '"' + m.group().replace("-", " ") + '"', parts[i])
    for i in range(1, len(parts), 2):  # inside quotes: already a phrase
        parts[i] = _HYPHENATED.sub(lambda m: m.group().replace("-", " "), parts[i])
    return '"'.join(parts)


@dataclass(frozen=True)
class Words:
    """A word as typed (its tokens must all match, in one field) or a phrase (in order)."""

    tokens: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False  # the last token stands for every word it begins
    field: str | None = None  # one of TEXT_FIELDS, or None for the title and the text


@dataclass(frozen=True)
class Named:
    """Articles naming any of these entities (or sources): a facet field's value resolved."""

    facet: str
    terms: tuple[str, ...]  # index terms (search.facets.Facet.term)


@dataclass(frozen=True)
class Node:
    op: str  # "and", "or", "not", "maybe" (first child required, the rest optional)
    children: tuple


Tree = Node | Words | Named | None  # None: match everything


def parse(text: str) -> Tree:
    text = text.strip()
    if text in {"", "*", "*:*", "(*)"}:
        return None
    tokens = _PIECES.findall(hyphenated_as_phrases(text))
    tree, _ = _sequence(tokens, 0, nested=False)
    _check_size(tree)
    return tree if tree is not None else Node("and", ())  # nothing searchable: no match


def has_positive_terms(tree: Tree) -> bool:
    """Whether the query ranks anything (else results are listed newest first)."""
    if tree is None or isinstance(tree, Named):
        return False
    if isinstance(tree, Words):
        return True
    if tree.op == "not":
        return False
    if tree.op == "maybe":
        return has_positive_terms(tree.children[0])
    return any(has_positive_terms(c) for c in tree.children)


def _sequence(tokens: list[str], i: int, nested: bool) -> tuple[Tree, int]:
    """Units side by side until the end (or a closing parenthesis when nested)."""
    required, plain, prohibited = [], [], []
    while i < len(tokens):
        if tokens[i] == ")":
            if nested:
                return _combine(required, plain, prohibited), i + 1
            i += 1  # a stray closing parenthesis is punctuation
            continue
        prefix = ""
        if tokens[i][:1] in "+-" and len(tokens[i]) > 1:
            prefix, tokens[i] = tokens[i][0], tokens[i][1:]
        unit, i = _or(tokens, i)
        if unit is None:
            continue
        {"+": required, "-": prohibited, "": plain}[prefix].append(unit)
    return _combine(required, plain, prohibited), i


def _combine(required: list, plain: list, prohibited: list) -> Tree:
    if required:
        core = required[0] if len(required) == 1 else Node("and", tuple(required))
        positive = Node("maybe", (core, *plain)) if plain else core
    elif plain:
        positive = plain[0] if len(plain) == 1 else Node("and", tuple(plain))
    else:
        positive = None
    if not prohibited:
        return positive
    negated = tuple(Node("not", (p,)) for p in prohibited)
    return Node("and", ((positive,) if positive is not None else ()) + negated)


def _or(tokens: list[str], i: int) -> tuple[Tree, int]:
    left, i = _and(tokens, i)
    while i + 1 < len(tokens) and tokens[i] == "OR" and _starts_unit(tokens, i + 1):
        right, i = _and(tokens, i + 1)
        left = _join("or", left, right)
    return left, i


def _and(tokens: list[str], i: int) -> tuple[Tree, int]:
    left, i = _unary(tokens, i)
    while (
        i + 1 < len(tokens)
        and tokens[i] in {"AND", "ANDNOT", "ANDMAYBE"}
        and _starts_unit(tokens, i + 1)
    ):
        op = tokens[i]
        right, i = _unary(tokens, i + 1)
        if op == "ANDNOT":
            right = Node("not", (right,)) if right is not None else None
        if op == "ANDMAYBE":
            left = Node("maybe", (left, right)) if left is not None and right is not None else left
        else:
            left = _join("and", left, right)
    return left, i


def _starts_unit(tokens: list[str], i: int) -> bool:
    return i < len(tokens) and tokens[i] != ")" and tokens[i] not in OPERATORS - {"NOT"}


def _unary(tokens: list[str], i: int) -> tuple[Tree, int]:
    if tokens[i] == "NOT" and i + 1 < len(tokens) and _starts_unit(tokens, i + 1):
        inner, i = _unary(tokens, i + 1)
        return (Node("not", (inner,)) if inner is not None else None), i
    if tokens[i] == "(":
        return _sequence(tokens, i + 1, nested=True)
    field, value, i = _field(tokens, i)
    if value.startswith('"'):
        words = tuple(TOKEN.findall(value.strip('"')))
        if not words:
            return None, i
        if value.endswith('"') and len(value) > 1:
            return _narrowed(field, value.strip('"'), Words(words, phrase=len(words) > 1)), i
        # An unclosed quote: its words, side by side.
        return _join("and", *(Words((w,)) for w in words)), i
    words = tuple(TOKEN.findall(value))
    if not words:
        return None, i
    prefix = value.endswith("*") and value.rstrip("*").endswith(words[-1])
    prefix = prefix and len(words[-1]) >= MIN_PREFIX
    return _narrowed(field, value.rstrip("*"), Words(words, prefix=prefix)), i


def _field(tokens: list[str], i: int) -> tuple[str | None, str, int]:
    """A known field name before a value ("title:opec", 'person:"Paul Volcker"'), and the
    value; an unknown name stays part of the words."""
    piece = tokens[i]
    name, colon, rest = piece.partition(":")
    known = name.lower() in TEXT_FIELDS or name.lower() in BY_NAME
    if not colon or not known:
        return None, piece, i + 1
    if rest:
        return name.lower(), rest, i + 1
    if i + 1 < len(tokens) and tokens[i + 1].startswith('"'):  # title: "a phrase"
        return name.lower(), tokens[i + 1], i + 2
    return None, piece, i + 1


def _narrowed(field: str | None, value: str, words: Words) -> Tree:
    if field is None:
        return words
    if field in TEXT_FIELDS:
        return Words(words.tokens, words.phrase, words.prefix, field)
    facet = BY_NAME[field]
    terms = tuple(sorted({facet.term(v) for v in facet.matching(value.strip())}))
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryTooComplex(
            f"{field}:{value[:40]} names more than {MAX_QUERY_TERMS} {facet.label.lower()}: "
            "give more of the name."
        )
    return Named(field, terms)


def _join(op: str, *parts: Tree) -> Tree:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    flat = []
    for part in kept:
        flat.extend(part.children if isinstance(part, Node) and part.op == op else (part,))
    return flat[0] if len(flat) == 1 else Node(op, tuple(flat))


def _check_size(tree: Tree) -> None:
    terms = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, Named):
            terms += len(node.terms)
        elif isinstance(node, Words):
            if node.phrase and len(node.tokens) > MAX_PHRASE_WORDS:
                raise QueryTooComplex(
                    f"A quoted phrase may have at most {MAX_PHRASE_WORDS} words: quote the most "
                    "telling part of it."
                )
            terms += len(node.tokens) * FIELDS
        else:
            stack.extend(node.children)
        if terms > MAX_QUERY_TERMS:
            raise QueryTooComplex(
                f"The query has more than {MAX_QUERY_TERMS} words (counting each field it "
                "searches): shorten it, or narrow the results with the filters."
            )


def spellable_words(tree: Tree) -> list[str]:
    """The words "did you mean" may correct: not prefixes, not names given for a field."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Words):
            found.extend(node.tokens[:-1] if node.prefix else node.tokens)
        elif isinstance(node, Node):
            stack.extend(reversed(node.children))
    return found
