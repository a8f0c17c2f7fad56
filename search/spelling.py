""" "Did you mean": the closest known word for each unknown word of a query.

Words are looked up in the vocabulary of the (unstemmed) title field, read once per index
generation; rapidfuzz ranks candidates, so a suggestion costs milliseconds, with or without hits.
"""

from __future__ import annotations

import re
import threading

from rapidfuzz import process
from rapidfuzz.distance import OSA

from search.docvalues import leaf_readers

_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "TO"}
MIN_SIMILARITY = 0.7


class Vocabulary:
    def __init__(self, field: str):
        self.field = field
        self._generation = None
        self._frequencies: dict[str, int] = {}
        self._words: list[str] = []
        self._lock = threading.Lock()

    def _load(self, searcher) -> None:
        generation = tuple(r.segment().segment_id() for r, _ in leaf_readers(searcher))
        with self._lock:
            if generation == self._generation:
                return
            reader = searcher.reader()
            frequencies: dict[str, int] = {}
            if self.field in reader.schema:
                for term, info in reader.iter_field(self.field):
                    word = term.decode("utf-8") if isinstance(term, bytes) else term
                    if len(word) > 2 and not word.isdigit():
                        frequencies[word] = info.doc_frequency()
            self._frequencies = frequencies
            self._words = list(frequencies)
            self._generation = generation

    def suggest(self, searcher, query_string: str) -> str | None:
        """The query with unknown words replaced by their nearest known words, or None."""
        words = [w for w in _WORD.findall(query_string or "") if w not in _OPERATORS]
        if not words:
            return None
        self._load(searcher)
        changed, suggestion = False, query_string
        for word in words:
            lowered = word.lower()
            if lowered in self._frequencies or len(lowered) < 3 or lowered.isdigit():
                continue
            matches = process.extract(
                lowered,
                self._words,
                scorer=OSA.normalized_similarity,
                limit=5,
                score_cutoff=MIN_SIMILARITY,
            )
            if not matches:
                continue
            best = max(matches, key=lambda m: (m[1], self._frequencies[m[0]]))[0]
            suggestion = re.sub(rf"\b{re.escape(word)}\b", best, suggestion, count=1)
            changed = True
        return suggestion if changed else None
