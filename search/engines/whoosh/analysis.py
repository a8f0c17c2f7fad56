"""The article text field: Whoosh's stemming analyzer with accents folded, indexed in one pass.

Whoosh analyzes text through a chain of generators (tokenizer, lowercase, stop words, stemmer,
accent folding) that builds a Token object per word; for the archive's articles that chain was
the largest part of indexing. `FoldedStemText.index` computes the very same terms and
positions with one regular expression and a loop (tests/search/whoosh/test_analysis.py
compares the two on every kind of text), while queries still go through the analyzer chain,
so both sides always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.analysis.analyzers import STOP_WORDS
from whoosh.fields import TEXT
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# Whoosh's default token pattern (whoosh.analysis.tokenizers.default_pattern), without its
# capturing group.
_TOKEN = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
_MIN_SIZE = 2  # StopFilter's default: one-letter words are dropped


def folded_stemming_analyzer():
    return StemmingAnalyzer() | CharsetFilter(accent_map)


@lru_cache(maxsize=200_000)
def _term(token: str) -> str | None:
    """A token's index term, or None for a stop word."""
    # Lower-cased one token at a time, as LowercaseFilter does: lower-casing the whole text
    # first could split a word ("İ" lower-cases to "i" and a combining dot).
    word = token.lower()
    if len(word) < _MIN_SIZE or word in STOP_WORDS:
        return None
    return stem(word).translate(accent_map)


def term_positions(text: str) -> dict[str, list[int]]:
    """Each term of the text with its positions, as `folded_stemming_analyzer` gives them:
    tokens are numbered in order, and once the first word is kept, stop words no longer take
    a position (StopFilter renumbers)."""
    positions: dict[str, list[int]] = {}
    position = None
    for index, word in enumerate(_TOKEN.findall(text)):
        term = _term(word)
        if term is None:
            continue
        position = index if position is None else position + 1
        found = positions.get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    return positions


@dataclass(frozen=True)
class AnalyzedText:
    """A text already analyzed (`term_positions`), for a writer in another process: the
    importing process analyzes while the index writer writes the batch before."""

    positions: dict[str, list[int]]


class FoldedStemText(TEXT):
    """A TEXT field with the folded stemming analyzer, indexed without the analyzer chain."""

    def __init__(self, **kwargs):
        super().__init__(analyzer=folded_stemming_analyzer(), **kwargs)

    def index(self, value, **kwargs):
        if isinstance(value, AnalyzedText) and not kwargs:
            positions = value.positions
        elif isinstance(value, str) and not kwargs:
            positions = term_positions(value)
        else:
            yield from super().index(value, **kwargs)
            return
        encode, boost = self.format.encode, self.format.field_boost
        for term, found in positions.items():
            yield term.encode("utf-8"), len(found), len(found) * boost, encode(found)
