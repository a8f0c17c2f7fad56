""" "Did you mean": the closest known word for each unknown word of a query.

Words are looked up in the vocabulary of titles as written, read once per index generation;
accents and case are folded for the comparison, and a suggestion keeps the archive's most
frequent spelling ("Zürich", "Moura"). rapidfuzz ranks candidates, so a suggestion costs
milliseconds, with or without hits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh.support.charset import accent_map

from search.engines.whoosh.docvalues import leaf_readers

_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "TO"}
MIN_SIMILARITY = 0.7


class Vocabulary:
    """The field's words, folded, with their document counts and most frequent spelling.

    Each index segment's words are read once (segments never change), so after a commit only
    the new segment is read, and the sums change by the segments that came and went.
    """

    def __init__(self, field: str):
        self.field = field
        self._generation = None
        self._segments: dict[str, dict[str, dict[str, int]]] = {}
        self._frequencies: dict[str, int] = {}
        self._words: list[str] = []
        self._spellings: dict[str, str] = {}
        self._written: dict[str, dict[str, int]] = {}  # folded word -> spelling -> count
        self._lock = threading.Lock()

    def _load(self, searcher) -> None:
        leaves = leaf_readers(searcher)
        generation = tuple(r.segment().segment_id() for r, _ in leaves)
        with self._lock:
            if generation == self._generation:
                return
            # Only the segments that came or went change the sums: a commit reads and adds
            # its new segment, a merge swaps the merged ones for their union.
            segments = {
                segid: self._segments.get(segid) or self._read(reader)
                for segid, (reader, _) in zip(generation, leaves, strict=True)
            }
            gone = [words for segid, words in self._segments.items() if segid not in segments]
            came = [words for segid, words in segments.items() if segid not in self._segments]
            touched = set()
            for words, sign in [*((w, -1) for w in gone), *((w, 1) for w in came)]:
                for word, count in words.items():
                    key = fold(word)
                    touched.add(key)
                    self._frequencies[key] = self._frequencies.get(key, 0) + sign * count
                    written = self._written.setdefault(key, {})
                    written[word] = written.get(word, 0) + sign * count
                    if written[word] <= 0:
                        del written[word]
            for key in touched:
                if self._frequencies.get(key, 0) <= 0:
                    self._frequencies.pop(key, None)
                    self._written.pop(key, None)
                    self._spellings.pop(key, None)
                else:
                    written = self._written[key]
                    self._spellings[key] = max(written, key=written.get)
            if touched:
                self._words = list(self._frequencies)
            self._segments = segments
            self._generation = generation

    def _read(self, reader) -> dict[str, int]:
        words: dict[str, int] = {}
        if self.field in reader.schema:
            for term, info in reader.iter_field(self.field):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                if len(word) > 2 and not word.isdigit():
                    words[word] = info.doc_frequency()
        return words

    def suggest(
        self,
        searcher,
        query_string: str,
        known: Callable[[str], bool] = lambda word: False,
        words: list[str] | None = None,
    ) -> str | None:
        """The query with unknown words replaced by their nearest known words, or None. A
        word in the titles' vocabulary, or one `known` accepts (a word of the articles'
        text), is left alone: "Paul Volcker" is no misspelling of "Pall Volcker". `words`
        are the query's words that may be corrected (default: all of them)."""
        if words is None:
            words = [w for w in _WORD.findall(query_string or "") if w not in _OPERATORS]
        if not words:
            return None
        self._load(searcher)
        changed, suggestion = False, query_string
        for word in words:
            key = fold(word)
            with self._lock:  # another thread may be updating the sums for a new generation
                if key in self._frequencies or len(key) < 3 or key.isdigit():
                    continue
            if known(word):
                continue
            with self._lock:
                matches = process.extract(
                    key,
                    self._words,
                    scorer=OSA.normalized_similarity,
                    limit=5,
                    score_cutoff=MIN_SIMILARITY,
                )
                if not matches:
                    continue
                best = max(matches, key=lambda m: (m[1], self._frequencies.get(m[0], 0)))[0]
                spelling = self._spellings[best]
            pattern = re.compile(rf"\b{re.escape(word)}\b")
            suggestion = pattern.sub(lambda _, spelling=spelling: spelling, suggestion, count=1)
            changed = True
        return suggestion if changed else None


def fold(word: str) -> str:
    """A word as the index compares it: accents and case folded, as the text analyzers do."""
    return word.lower().translate(accent_map)
