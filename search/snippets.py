"""Snippets: the passage of an article that best matches the query, with the words marked."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_WORD = re.compile(r"-?\w+", re.UNICODE)
_OPERATORS = {"and", "or", "not", "to"}
SNIPPET_LENGTH = 260


def query_terms(query: str) -> list[str]:
    """The words a reader searched for (not operators, not excluded -words)."""
    terms = []
    for word in _WORD.findall(query or ""):
        if word.startswith("-") or word.lower() in _OPERATORS or len(word) < 2:
            continue
        terms.append(word.lower())
    return list(dict.fromkeys(terms))


def _pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    # Word starts, so "strike" also marks "strikes" and "striker", as stemming matches them.
    stems = sorted({t[: max(4, len(t) - 2)] if len(t) > 5 else t for t in terms}, key=len)
    return re.compile(r"\b(" + "|".join(re.escape(s) for s in stems[::-1]) + r")\w*", re.I)


def snippet(body: str, terms: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """About `length` characters around the densest run of matches, escaped, matches marked."""
    pattern = _pattern(terms)
    starts = [m.start() for m in pattern.finditer(body)] if pattern else []
    start = 0
    if starts:
        start = max(0, _densest(starts, length) - length // 4)
        while start > 0 and not body[start - 1].isspace():
            start -= 1
    end = min(len(body), start + length)
    while end < len(body) and not body[end].isspace() and end - start < length + 30:
        end += 1
    text = body[start:end]
    pieces, position = [], 0
    for match in pattern.finditer(text) if pattern else ():
        pieces.append(escape(text[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(text[position:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(body) else ""
    return mark_safe(prefix + "".join(pieces).replace("\n", " ") + suffix)


def _densest(starts: list[int], length: int) -> int:
    """The match start with the most matches in the `length` characters from it: one pass
    with two pointers, so a word matched 40,000 times in a long article stays cheap."""
    best, most, end = starts[0], 0, 0
    for i, begin in enumerate(starts):
        while end < len(starts) and starts[end] - begin < length:
            end += 1
        if end - i > most:
            best, most = begin, end - i
    return best
