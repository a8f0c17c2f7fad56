"""The embedded engine: the archive's Whoosh index (search/engines/whoosh/backend.py) behind
the engine interface, whole result sets counted over its numpy doc values."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import numpy as np
from haystack import connections
from haystack.utils import get_identifier

from search.engines import reader_query
from search.engines.base import (
    CoMention,
    EngineUnavailable,
    Found,
    Member,
    Query,
    SearchEngine,
    check_sort,
    check_unit,
)
from search.engines.whoosh.docvalues import MISSING
from search.engines.whoosh.segment_writer import abandoned_staging
from search.engines.whoosh.writer import BACKGROUND

DATE_FIELD = "published"
_UNITS = {"year": "Y", "month": "M", "day": "D"}
_SORT_BY = {"relevance": None, "newest": ["-published"], "oldest": ["published"]}


class WhooshEngine(SearchEngine):
    name = "whoosh"

    @property
    def backend(self):
        return connections["default"].get_backend()

    @property
    def location(self) -> str:
        return str(self.backend.path)

    # Reading

    def _matches(self, query: Query):
        """(searcher, doc values, the words as a Whoosh query, matches) of the query."""
        return self.backend._matches(query.words, narrow_strings(query))

    def _mask(self, query: Query) -> tuple[object, np.ndarray]:
        _, values, _, matches = self._matches(query)
        return values, matches.mask

    def search(
        self,
        query: Query,
        *,
        start: int = 0,
        stop: int = 20,
        sort: str = "relevance",
        facets: Sequence[str] = (),
        facet_limit: int | None = None,
        date_unit: str | None = None,
        suggest: bool = False,
    ) -> Found:
        check_sort(sort)
        check_unit(date_unit)
        if sort == "relevance" and not reader_query.has_positive_terms(query.words):
            sort = "newest"
        backend = self.backend
        searcher, values, parsed, matches = self._matches(query)
        mask = matches.mask
        count = int(mask.sum())
        page = backend._page(values, parsed, matches, _SORT_BY[sort], start, min(stop, count))
        counted = {}
        for facet in facets:
            own = self._mask(query.without_choice(facet))[1] if facet in query.any_of else mask
            counted[facet] = values.top_terms(facet, own, limit=facet_limit)
        dates = []
        if date_unit:
            rows = values.date_histogram(DATE_FIELD, mask, _UNITS[date_unit])
            dates = [(start.date(), n) for start, n in rows]
        suggestion = None
        if suggest and query.text:
            suggestion = backend.vocabulary.suggest(
                searcher,
                query.text,
                known=lambda w: backend._in_text(searcher, w),
                words=reader_query.spellable_words(query.words),
            )
        return Found(
            count=count,
            ids=[int(values.keys[docnum]) for docnum, _ in page],
            facets=counted,
            dates=dates,
            suggestion=suggestion,
        )

    def facet_counts(
        self, query: Query, facet: str, *, limit: int | None = None, only: set[str] | None = None
    ) -> list[tuple[str, int]]:
        values, mask = self._mask(query)
        return values.top_terms(facet, mask, limit=limit, only=only)

    def date_span(self, query: Query) -> tuple[date | None, date | None]:
        values, mask = self._mask(query)
        dates = values.dates[DATE_FIELD]
        dated = dates[mask & (dates != MISSING)]
        if not len(dated):
            return None, None
        return _as_date(dated.min()), _as_date(dated.max())

    def comentions(self, query: Query, members: Sequence[Member]) -> np.ndarray:
        values, mask = self._mask(query)
        size = len(members)
        docs_parts, index_parts = [], []
        for i, (facet, term) in enumerate(members):
            docs = values.columns[facet].docs_with(term)
            docs = docs[mask[docs]]
            docs_parts.append(docs)
            index_parts.append(np.full(len(docs), i, dtype=np.int64))
        matrix = np.zeros(size * size, dtype=np.int64)
        if not docs_parts:
            return matrix.reshape(size, size)
        docs, index = np.concatenate(docs_parts), np.concatenate(index_parts)
        order = np.argsort(docs, kind="stable")
        docs, index = docs[order], index[order]
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        lengths = np.diff(np.r_[starts, len(docs)])
        # Articles naming k members give k x k pairs; each group size is one vector operation.
        for k in np.unique(lengths):
            group = index[starts[lengths == k][:, None] + np.arange(k)]
            pairs = group[:, :, None] * size + group[:, None, :]
            matrix += np.bincount(pairs.ravel(), minlength=size * size)
        return matrix.reshape(size, size)

    def cooccurring(self, query: Query, member: Member) -> list[CoMention]:
        values, mask = self._mask(query.naming(member))
        docs = np.flatnonzero(mask)
        dates = values.dates[DATE_FIELD]
        found = []
        for kind, column in values.columns.items():
            terms, lengths = column.terms_of(docs)
            counts = np.bincount(terms, minlength=len(column.terms))
            first = np.full(len(column.terms), MISSING, dtype=np.int64)
            np.minimum.at(first, terms, np.repeat(dates[docs], lengths))  # undated: MISSING
            for t in np.flatnonzero(counts):
                when = None if first[t] == MISSING else _as_date(first[t])
                found.append(CoMention((kind, column.terms[t]), int(counts[t]), when))
        return found

    def ids_after(self, query: Query, mark: int) -> tuple[np.ndarray, np.ndarray]:
        values, mask = self._mask(query)
        newer = values.live & (values.keys > mark)
        return np.sort(values.keys[newer]), np.sort(values.keys[newer & mask])

    def warm_up(self) -> None:
        backend = self.backend
        searcher = backend.searcher()
        backend.doc_values.for_searcher(searcher)
        backend.vocabulary.suggest(searcher, "warmup")

    # Writing

    def prepare(self, articles: Iterable) -> list[dict]:
        from archive.models import Article

        index = connections["default"].get_unified_index().get_index(Article)
        return self.backend.prepare_documents(index, articles)

    def write(self, docs: list[dict], background: bool = False) -> None:
        if background and docs:
            BACKGROUND.start(self.backend, docs, [int(doc["django_id"]) for doc in docs])
            return
        BACKGROUND.finish()
        self.backend.write_documents(docs)

    def finish_writes(self) -> None:
        BACKGROUND.finish()

    def remove(self, ids: Iterable[int]) -> None:
        BACKGROUND.finish()
        identifiers = [get_identifier(f"archive.article.{pk}") for pk in ids]
        if identifiers:
            self.backend.remove_identifiers(identifiers)

    def digests(self) -> dict[int, str]:
        try:
            indexed = self.backend.indexed_digests()
        except Exception as exc:  # Whoosh raises many kinds of errors on damaged files
            if isinstance(exc, EngineUnavailable):
                raise
            raise EngineUnavailable(
                f"The search index at {self.location} cannot be read ({exc})."
            ) from exc
        return {int(pk): digest for pk, digest in indexed.items()}

    def reset(self) -> None:
        BACKGROUND.finish()
        self.backend.delete_index()  # recreates an empty index, whatever state it was in

    def tidy(self) -> int:
        abandoned = abandoned_staging(self.backend.path)
        for folder in abandoned:
            shutil.rmtree(folder, ignore_errors=True)
        return len(abandoned)


def narrow_strings(query: Query) -> list[str]:
    """The query's filters in Whoosh's query language, one narrowing each."""
    narrows = []
    for clause in query.clauses:
        terms = [f"{clause.facet}:{term}" for term in clause.terms]
        if clause.mode == "any":
            narrows.append(" OR ".join(terms))
        elif clause.mode == "all":
            narrows.extend(terms)
        else:
            narrows.extend(f"NOT {term}" for term in terms)
    if query.date_from or query.date_to:
        # Both bounds, zero-padded: Whoosh reads "[20250101 TO ]" as an unparseable date and
        # strftime writes year 5 as "5".
        start, end = query.date_from or date.min, query.date_to or date.max
        narrows.append(f"{DATE_FIELD}:[{_day(start)} TO {_day(end)}]")
    return narrows


def _day(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _as_date(microseconds) -> date:
    return np.datetime64(int(microseconds), "us").astype(datetime).date()
