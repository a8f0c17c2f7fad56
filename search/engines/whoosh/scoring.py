"""Match and rank a query over the whole index with numpy, one posting block at a time.

Whoosh matches and scores document by document in Python, and the backend needs every match
anyway (facet counts cover the whole result set, not the first page). Reading each posting
block as an array and scoring it with the same BM25F formula Whoosh uses turns a one-word query
over 100,000 articles from tens of milliseconds into a few. Queries with positions (phrases)
fall back to Whoosh's own matchers, which are exact, but decode every posting of the phrase's
words, positions included, in Python: about 1 µs a posting (bench/RESULTS.md, "Hostile
queries"). A search's phrases may read PHRASE_BUDGET such postings; phrases of words too
common for that are refused before anything is read (QueryTooComplex), so that no reader's
query holds a worker for seconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25F

from search.engines.reader_query import QueryTooComplex
from search.engines.whoosh.docvalues import DocValues, leaf_readers

B, K1 = BM25F().B, BM25F().K1
# Postings (with positions) one search's phrases may decode: about half a second.
PHRASE_BUDGET = 500_000


def check_phrase_cost(query: wq.Query, searcher) -> None:
    """Refuse, before anything is evaluated, a query whose phrases would decode more than
    PHRASE_BUDGET postings: the sum of their words' document frequencies."""
    # A leaf's leaves() yields the leaf itself, so a lone phrase is found here too.
    phrases = [leaf for leaf in query.leaves() if isinstance(leaf, wq.Phrase)]
    cost = sum(
        searcher.doc_frequency(phrase.fieldname, word)
        for phrase in phrases
        for word in phrase.words
    )
    if cost > PHRASE_BUDGET:
        raise QueryTooComplex(
            "The quoted words are too common to check position by position "
            f"({cost:,} mentions to read). Add a rarer word to the phrase, or drop the quotes."
        )


class Matches:
    """The live documents a query matches, with a relevance score for each (0 where unranked)."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask: np.ndarray, scores: np.ndarray | None = None):
        self.mask = mask
        self.scores = np.zeros(len(mask), dtype=np.float32) if scores is None else scores


def evaluate(query: wq.Query, searcher, values: DocValues) -> Matches:
    """Every live document `query` matches, scored; facet and date filters use doc values."""
    size = values.size
    if isinstance(query, wq.Every):
        return Matches(values.live.copy())
    if query is wq.NullQuery:
        return Matches(np.zeros(size, dtype=bool))
    if isinstance(query, wq.Term):
        if query.fieldname in values.columns:
            mask = np.zeros(size, dtype=bool)
            mask[values.columns[query.fieldname].docs_with(str(query.text))] = True
            return Matches(mask & values.live)
        if query.fieldname in values.lengths:
            return _term(query, searcher, values)
    if isinstance(query, wq.Phrase) and query.fieldname in values.lengths:
        return _phrase(query, searcher, values)
    if isinstance(query, wq.NumericRange) and query.fieldname in values.dates:
        return Matches(values.date_range(query) & values.live)
    if isinstance(query, wq.Not):
        return Matches(values.live & ~evaluate(query.query, searcher, values).mask)
    if isinstance(query, wq.AndNot):
        positive = evaluate(query.a, searcher, values)
        positive.mask &= ~evaluate(query.b, searcher, values).mask
        return positive
    if isinstance(query, wq.AndMaybe):
        required = evaluate(query.a, searcher, values)
        optional = evaluate(query.b, searcher, values)
        required.scores += np.where(optional.mask, optional.scores, 0)
        return required
    if isinstance(query, wq.And | wq.Require):
        parts = query.subqueries if isinstance(query, wq.And) else (query.a, query.b)
        result = Matches(values.live.copy())
        for part in parts:
            matched = evaluate(part, searcher, values)
            result.mask &= matched.mask
            if not isinstance(query, wq.Require) or part is query.a:
                result.scores += matched.scores
        return result
    if isinstance(query, wq.Or):
        result = Matches(np.zeros(size, dtype=bool))
        for part in query.subqueries:
            matched = evaluate(part, searcher, values)
            result.mask |= matched.mask
            result.scores += matched.scores
        return result
    return _with_whoosh(query, searcher, values)


def top(matches: Matches, start: int, end: int) -> list[tuple[int, float]]:
    """The ranked page [start:end] of the matches: best score first, then lower doc number."""
    docs = np.flatnonzero(matches.mask)
    if end <= start or not len(docs):
        return []
    scores = matches.scores[docs]
    if end < len(docs):
        keep = np.argpartition(-scores, end - 1)[:end]
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[start:end]
    return [(int(docs[i]), float(scores[i])) for i in order]


def _term(query: wq.Term, searcher, values: DocValues) -> Matches:
    field = query.fieldname
    size = values.size
    mask = np.zeros(size, dtype=bool)
    scores = np.zeros(size, dtype=np.float32)
    text = searcher.schema[field].to_bytes(query.text)
    frequency = searcher.doc_frequency(field, text)
    if not frequency:
        return Matches(mask, scores)
    idf = log(searcher.doc_count_all() / (frequency + 1)) + 1
    average = searcher.avg_field_length(field) or 1.0
    lengths = values.lengths[field]
    for reader, offset in leaf_readers(searcher):
        if (field, text) not in reader:
            continue
        key = (reader.segment().segment_id(), field, text)
        found = POSTINGS.get(key)
        if found is None:
            found = POSTINGS.put(key, _postings(reader.postings(field, text)))
        ids, weights = found
        docs = ids + offset
        tf = weights
        fl = lengths[docs]
        mask[docs] = True
        scores[docs] = idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / average))
    scores *= query.boost
    return Matches(mask & values.live, scores)


class PostingsCache:
    """Decoded posting arrays of recently searched terms, least recently used out first.

    Whoosh stores a block's ids, weights and positions in one compressed pickle, so reading a
    common word's ids means decoding all its positions too: most of a one-word search. Segments
    never change (deletions are applied through the live mask), so an entry stays right for
    as long as its segment exists; entries of merged-away segments age out.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, arrays: tuple[np.ndarray, np.ndarray]):
        size = sum(a.nbytes for a in arrays)
        with self._lock:
            if size <= self.max_bytes and key not in self._entries:
                self._entries[key] = arrays
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= sum(a.nbytes for a in dropped)
        return arrays


# 32 MB holds the postings of about 2,700 words that each occur in 1,000 articles.
POSTINGS = PostingsCache(max_bytes=32 * 2**20)


def _postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Segment-local ids and weights of a term's postings, read a block at a time."""
    # Deleted documents are dropped by the live mask, so the deletion filter can be skipped.
    matcher = getattr(matcher, "child", matcher)
    ids, weights = [], []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
    else:  # another codec: the slow, public way
        pairs = [(matcher.id(), matcher.weight()) for _ in _each(matcher)]
        if pairs:
            ids.append(np.array([p[0] for p in pairs], dtype=np.int64))
            weights.append(np.array([p[1] for p in pairs], dtype=np.float32))
    if not ids:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def _phrase(query: wq.Phrase, searcher, values: DocValues) -> Matches:
    """Whether any article holds all the words is found with numpy first: if none does, no
    position is read."""
    words = wq.And([wq.Term(query.fieldname, word) for word in query.words])
    if not evaluate(words, searcher, values).mask.any():
        return Matches(np.zeros(values.size, dtype=bool))
    return _with_whoosh(query, searcher, values)


def _with_whoosh(query: wq.Query, searcher, values: DocValues) -> Matches:
    mask = np.zeros(values.size, dtype=bool)
    scores = np.zeros(values.size, dtype=np.float32)
    context = searcher.context()
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher, context)
        for _ in _each(matcher):
            doc = matcher.id() + offset
            mask[doc] = True
            scores[doc] = matcher.score()
    return Matches(mask & values.live, scores)


def _each(matcher):
    while matcher.is_active():
        yield
        matcher.next()
