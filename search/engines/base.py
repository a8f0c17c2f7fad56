"""What the archive asks of a search engine, named once.

Views, the network, pairs, name lists, alerts, exports, entity pages, `check_index` and the
warm-up reach an engine only through `SearchEngine`; `search.query.compile_query` turns a
reader's `SearchParams` into the engine-neutral `Query` below, and each adapter translates that
into its own language (search/engines/whoosh/, search/engines/solr/). The contract suite
(tests/search/test_engine_contract.py) holds every behaviour here and runs on each engine.

Counting rules every engine keeps:
* A facet whose selection combines with OR is counted without its own selection (so the
  alternatives stay visible: "what adding this value would give"); every other facet is counted
  within the results.
* Facet values come most frequent first, ties by index term (as text, ascending).
* Sorted by date, undated articles come last and one date's articles in article id order.
* Counts are exact, also over several shards.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
from haystack.exceptions import SearchBackendError

SORTS = ("relevance", "newest", "oldest")
DATE_UNITS = ("year", "month", "day")
MODES = ("all", "any", "none")  # every value, at least one value, none of the values

Member = tuple[str, str]  # (facet name, index term): one entity as the index holds it


class EngineUnavailable(SearchBackendError):
    """The engine cannot answer now (index missing or damaged, servers down); the pages
    answer 503 with this message. Never a shorter answer instead."""


class Unsupported(SearchBackendError):
    """Something asked of an engine that it does not implement, refused by name rather than
    ignored."""


@dataclass(frozen=True)
class Clause:
    facet: str
    terms: tuple[str, ...]  # index terms (search.facets.Facet.term)
    mode: str  # one of MODES


@dataclass(frozen=True)
class Query:
    """A reader's words (as typed: each engine parses them the same bounded way) and filters."""

    text: str = ""
    clauses: tuple[Clause, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    @cached_property
    def words(self):
        """The text parsed (search/engines/reader_query.py): what every adapter renders."""
        from search.engines import reader_query

        return reader_query.parse(self.text)

    def naming(self, member: Member) -> Query:
        """Only the articles that also name this entity."""
        facet, term = member
        return dataclasses.replace(self, clauses=(*self.clauses, Clause(facet, (term,), "all")))

    def without_choice(self, facet: str) -> Query:
        """This query without the facet's OR-combined selection (its exclusions stay)."""
        kept = tuple(c for c in self.clauses if not (c.facet == facet and c.mode == "any"))
        return dataclasses.replace(self, clauses=kept)

    @property
    def any_of(self) -> set[str]:
        return {c.facet for c in self.clauses if c.mode == "any"}


@dataclass
class Found:
    count: int
    ids: list[int]  # the page of article ids, in order
    facets: dict[str, list[tuple[str, int]]]  # facet -> (term, count), most first
    dates: list[tuple[date, int]]  # bucket start -> articles, oldest first, only non-empty
    suggestion: str | None = None


@dataclass(frozen=True)
class CoMention:
    member: Member
    count: int  # articles naming both
    first: date | None  # the earliest of those articles' dates


class SearchEngine(ABC):
    """One search engine holding the archive's articles."""

    name: str

    # Reading

    @abstractmethod
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
        """A page of hits (`start`:`stop`), the count, the facets' counts (the OR rule of this
        module), the date histogram by `date_unit`, and "did you mean" when asked for."""

    @abstractmethod
    def facet_counts(
        self, query: Query, facet: str, *, limit: int | None = None, only: set[str] | None = None
    ) -> list[tuple[str, int]]:
        """Every value of one facet in the query's articles (or only these terms), counted
        within them exactly as they stand (no OR rule: the caller drops a choice itself)."""

    @abstractmethod
    def date_span(self, query: Query) -> tuple[date | None, date | None]:
        """The first and last date of the query's dated articles."""

    @abstractmethod
    def comentions(self, query: Query, members: Sequence[Member]) -> np.ndarray:
        """An exact square matrix: [i, j] articles of the query naming both i and j, [i, i]
        those naming i."""

    @abstractmethod
    def cooccurring(self, query: Query, member: Member) -> list[CoMention]:
        """Every entity named with this one in the query's articles (itself included), with
        how often and since when."""

    @abstractmethod
    def ids_after(self, query: Query, mark: int) -> tuple[np.ndarray, np.ndarray]:
        """The article ids above `mark` of the whole index, and of the query's articles,
        each an ascending int64 array (saved-search marks, alerts)."""

    def count(self, query: Query) -> int:
        return self.search(query, stop=0).count

    def date_histogram(self, query: Query, unit: str) -> list[tuple[date, int]]:
        return self.search(query, stop=0, date_unit=unit).dates

    def ids(self, query: Query, start: int, stop: int, sort: str = "newest") -> list[int]:
        return self.search(query, start=start, stop=stop, sort=sort).ids

    @abstractmethod
    def warm_up(self) -> None:
        """Load what the first request would otherwise load."""

    # Writing

    @abstractmethod
    def prepare(self, articles: Iterable) -> list[dict]:
        """The engine's documents of these articles (their mentions attached)."""

    @abstractmethod
    def write(self, docs: list[dict], background: bool = False) -> None:
        """Add or replace these documents. With `background` the engine may keep writing
        after returning, until `finish_writes`."""

    @abstractmethod
    def finish_writes(self) -> None:
        """Wait for background writes; failures are announced with `indexing_failed`."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> None: ...

    @abstractmethod
    def digests(self) -> dict[int, str]:
        """Article id -> content digest of every indexed article (check_index)."""

    @abstractmethod
    def reset(self) -> None:
        """Empty the index, whatever state it is in."""

    def tidy(self) -> int:
        """Remove what writers killed outright left behind; how many things went."""
        return 0

    @property
    def location(self) -> str:
        """Where the index lives, for messages."""
        return self.name


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise Unsupported(f"Results are sorted by {', '.join(SORTS)}, not {sort!r}.")


def check_unit(unit: str | None) -> None:
    if unit is not None and unit not in DATE_UNITS:
        raise Unsupported(f"Dates are counted by {', '.join(DATE_UNITS)}, not {unit!r}.")
