"""What readers type in the search box, read the same way for every engine.

Words, "phrases", AND / OR / NOT (capitals; AND binds tighter than OR, and words side by side
must all match), -word and +word, and parentheses. No field syntax, wildcards or ranges: those
characters are punctuation. A hyphen inside a word joins it ("Rolls-Royce" is the phrase it
indexes as). Bounded: at most MAX_QUERY_TERMS terms, phrases of at most MAX_PHRASE_WORDS words.
Malformed input (an unclosed quote or parenthesis, an operator with nothing beside it) is read
as plain words, never refused.

The Whoosh adapter parses with Whoosh's own parser configured to these rules; the Solr adapter
renders the tree below. The contract suite checks that both find the same articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.facets import BadParameter

# Each word of a query is a pass over its postings; each field doubles it (title and text).
MAX_QUERY_TERMS = 64
# A quoted sentence is a fair search; a longer phrase costs more than it narrows.
MAX_PHRASE_WORDS = 20
FIELDS = 2  # a word is looked for in the title and in the text

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


@dataclass(frozen=True)
class Node:
    op: str  # "and", "or", "not", "maybe" (first child required, the rest optional)
    children: tuple


Tree = Node | Words | None  # None: match everything


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
    if tree is None:
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
    piece = tokens[i]
    if piece.startswith('"'):
        words = tuple(TOKEN.findall(piece.strip('"')))
        if piece.endswith('"') and len(piece) > 1:
            return (Words(words, phrase=len(words) > 1) if words else None), i + 1
        # An unclosed quote: its words, side by side.
        units = [Words((w,)) for w in words]
        return (_join("and", *units) if units else None), i + 1
    words = tuple(TOKEN.findall(piece))
    return (Words(words) if words else None), i + 1


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
        if isinstance(node, Words):
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
