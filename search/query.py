"""Searches as readers ask for them: parameters in, ranked articles and facet counts out.

Views (HTML, JSON, exports) parse the request with `parse_params` and call `run_search`. A
`SearchParams` makes every link a page offers (one change each), so no link drops a filter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from archive.curation import resolve_entity_ids
from archive.models import Article, attach_entity_names
from search.dates import DateBucket, chart
from search.engines import get_engine
from search.engines.base import SORTS, Clause, Query
from search.facets import (
    FACET_NAMES,
    FACETS,
    BadParameter,
    Facet,
    display_names,
    is_whole_number,
)
from search.snippets import query_terms, snippet

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 1000
FACET_LIMIT = 50
SHOWN_MENTIONS = 6  # entities listed under each result


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    selected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    any_of: frozenset[str] = frozenset()  # facets whose values combine with OR
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1

    # The URL

    def querydict(self) -> QueryDict:
        query = QueryDict(mutable=True)
        if self.q:
            query["q"] = self.q
        for facet in FACETS:
            if self.selected.get(facet.name):
                query.setlist(facet.name, list(self.selected[facet.name]))
            if self.excluded.get(facet.name):
                query.setlist(f"exclude_{facet.name}", list(self.excluded[facet.name]))
            if facet.name in self.any_of:
                query[f"{facet.name}_op"] = "or"
        if self.date_from:
            query["date_from"] = self.date_from.isoformat()
        if self.date_to:
            query["date_to"] = self.date_to.isoformat()
        if self.sort != "relevance":
            query["sort"] = self.sort
        if self.page != 1:
            query["page"] = str(self.page)
        return query

    @property
    def querystring(self) -> str:
        return self.querydict().urlencode()

    @property
    def origin(self) -> str:
        """What article and entity links carry so their "← Search" returns here."""
        query = self.querystring
        return "?" + urlencode({"search": query}) if query else ""

    def url(self, view: str = "search:search") -> str:
        """A link to the search page (or another view of the same search) with this search."""
        return reverse(view) + "?" + self.querystring

    # One change each; every change but paging goes back to the first page.

    def _changed(self, **changes) -> SearchParams:
        return dataclasses.replace(self, **{"page": 1, **changes})

    def _with(self, groups: str, facet: str, values: tuple[str, ...]) -> SearchParams:
        current = dict(getattr(self, groups))
        current.pop(facet, None)
        if values:
            current[facet] = tuple(dict.fromkeys(values))
        return self._changed(**{groups: current})

    def selecting(self, facet: str, value: str) -> SearchParams:
        return self._with("selected", facet, (*self.selected.get(facet, ()), value))

    def deselecting(self, facet: str, value: str) -> SearchParams:
        return self._with("selected", facet, _without(self.selected.get(facet, ()), value))

    def excluding(self, facet: str, value: str) -> SearchParams:
        return self._with("excluded", facet, (*self.excluded.get(facet, ()), value))

    def including(self, facet: str, value: str) -> SearchParams:
        return self._with("excluded", facet, _without(self.excluded.get(facet, ()), value))

    def toggling_operator(self, facet: str) -> SearchParams:
        return self._changed(any_of=self.any_of ^ {facet})

    def between(self, start: date | None, end: date | None) -> SearchParams:
        return self._changed(date_from=start, date_to=end)

    def sorted_by(self, sort: str) -> SearchParams:
        return self._changed(sort=sort)

    def searching(self, q: str) -> SearchParams:
        return self._changed(q=q)

    def on_page(self, page: int) -> SearchParams:
        return dataclasses.replace(self, page=page)

    def without_filters(self) -> SearchParams:
        return SearchParams(q=self.q, sort=self.sort)

    @property
    def has_filters(self) -> bool:
        return bool(
            any(self.selected.values())
            or any(self.excluded.values())
            or self.date_from
            or self.date_to
        )

    @property
    def filter_count(self) -> int:
        dates = 1 if self.date_from or self.date_to else 0
        chosen = sum(len(v) for v in self.selected.values())
        return chosen + sum(len(v) for v in self.excluded.values()) + dates

    @property
    def sort_links(self) -> list[tuple[str, str, bool]]:
        """(sort, link, current) for each order; without words, relevance is not offered."""
        sorts = [s for s in SORTS if self.q or s != "relevance"]
        return [(s, self.sorted_by(s).url(), s == self.shown_sort) for s in sorts]

    @property
    def first_page(self) -> SearchParams:
        return self.on_page(1)

    @property
    def shown_sort(self) -> str:
        """The order results are listed in: without words there is no relevance."""
        return "newest" if self.sort == "relevance" and not self.q else self.sort


def _without(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadParameter(f"'{name}' must be a date as YYYY-MM-DD, not {value[:40]!r}.") from None


def parse_params(query: QueryDict) -> SearchParams:
    """Validate request parameters; raises BadParameter with a message for the reader."""
    q = query.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise BadParameter(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    selected, excluded, any_of = {}, {}, set()
    for facet in FACETS:
        values = facet.clean(query.getlist(facet.name), facet.name)
        exclusions = facet.clean(query.getlist(f"exclude_{facet.name}"), f"exclude_{facet.name}")
        if facet.is_entity:
            # Bookmarked searches keep working after a merge: old ids mean the survivor.
            current = resolve_entity_ids(int(v) for v in [*values, *exclusions])
            values = [str(current[int(v)]) for v in values]
            exclusions = [str(current[int(v)]) for v in exclusions]
        if values:
            selected[facet.name] = tuple(dict.fromkeys(values))
        if exclusions:
            excluded[facet.name] = tuple(dict.fromkeys(exclusions))
        operator = query.get(f"{facet.name}_op", "and").lower()
        if operator not in {"and", "or"}:
            raise BadParameter(f"'{facet.name}_op' is 'and' or 'or', not {operator[:20]!r}.")
        if operator == "or":
            any_of.add(facet.name)
    date_from = _date(query.get("date_from"), "date_from")
    date_to = _date(query.get("date_to"), "date_to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("'date_from' is after 'date_to'.")
    sort = query.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"'sort' is one of {', '.join(SORTS)}, not {sort[:20]!r}.")
    page = query.get("page", "1") or "1"
    if not is_whole_number(page) or not 1 <= int(page) <= MAX_PAGE:
        raise BadParameter(f"'page' is a whole number from 1 to {MAX_PAGE}.")
    return SearchParams(
        q=q,
        selected=selected,
        excluded=excluded,
        any_of=frozenset(any_of),
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=int(page),
    )


def compile_query(params: SearchParams) -> Query:
    """The search as every engine takes it (search/engines/base.py): the one place a
    reader's parameters become a query."""
    clauses = []
    for facet in FACETS:
        chosen = tuple(facet.term(v) for v in params.selected.get(facet.name, ()))
        if chosen:
            mode = "any" if facet.name in params.any_of else "all"
            clauses.append(Clause(facet.name, chosen, mode))
        excluded = tuple(facet.term(v) for v in params.excluded.get(facet.name, ()))
        if excluded:
            clauses.append(Clause(facet.name, excluded, "none"))
    return Query(params.q, tuple(clauses), params.date_from, params.date_to)


@dataclass
class FacetValue:
    """One value of a facet in a search, with the links that change the search by it."""

    facet: Facet
    value: str
    name: str
    count: int
    params: SearchParams
    # In an OR group, for a value not chosen: how many articles choosing it too would add
    # (`count` is then how many the search without the group's choice has).
    adds: int | None = None

    @property
    def selected(self) -> bool:
        return self.value in self.params.selected.get(self.facet.name, ())

    @property
    def excluded(self) -> bool:
        return self.value in self.params.excluded.get(self.facet.name, ())

    @property
    def select_url(self) -> str:
        return self.params.selecting(self.facet.name, self.value).url()

    @property
    def deselect_url(self) -> str:
        return self.params.deselecting(self.facet.name, self.value).url()

    @property
    def exclude_url(self) -> str:
        return self.params.excluding(self.facet.name, self.value).url()

    @property
    def include_url(self) -> str:
        return self.params.including(self.facet.name, self.value).url()

    def as_dict(self) -> dict:
        found = {
            **self.facet.as_json(self.value, self.name),
            "count": self.count,
            "selected": self.selected,
            "excluded": self.excluded,
        }
        if self.adds is not None:
            found["adds"] = self.adds
        return found


@dataclass
class FacetColumn:
    facet: Facet
    values: list[FacetValue]
    params: SearchParams
    more: bool = False  # values beyond these exist in the result set

    def __iter__(self):
        return iter(self.values)

    @property
    def any_of(self) -> bool:
        return self.facet.name in self.params.any_of

    @property
    def toggle_url(self) -> str:
        return self.params.toggling_operator(self.facet.name).url()


@dataclass
class SearchOutcome:
    params: SearchParams
    count: int
    articles: list[Article]
    snippets: dict[int, str]
    facets: dict[str, FacetColumn]
    dates: list[DateBucket]
    date_unit: str
    suggestion: str | None
    names: dict[str, dict[str, str]]
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def prev_url(self) -> str | None:
        return self.params.on_page(self.params.page - 1).url() if self.params.page > 1 else None

    @property
    def next_url(self) -> str | None:
        last = min(self.pages, MAX_PAGE)
        return self.params.on_page(self.params.page + 1).url() if self.params.page < last else None

    @property
    def suggestion_params(self) -> SearchParams | None:
        return self.params.searching(self.suggestion) if self.suggestion else None

    @property
    def chips(self) -> list[Chip]:
        return filter_chips(self.params, self.names)


def filter_chips(
    params: SearchParams, names: dict[str, dict[str, str]], view: str = "search:search"
) -> list[Chip]:
    """The filters in force, each with the link (to `view`) that removes it."""
    chips = []
    for facet in FACETS:
        shown = names.get(facet.name, {})
        any_of = facet.name in params.any_of and len(params.selected.get(facet.name, ())) > 1
        for value in params.selected.get(facet.name, ()):
            remove = params.deselecting(facet.name, value).url(view)
            chips.append(Chip(shown.get(value, value), facet.name, remove, any_of=any_of))
        for value in params.excluded.get(facet.name, ()):
            remove = params.including(facet.name, value).url(view)
            chips.append(Chip(shown.get(value, value), facet.name, remove, excluded=True))
    if params.date_from or params.date_to:
        start = params.date_from.isoformat() if params.date_from else "…"
        end = params.date_to.isoformat() if params.date_to else "…"
        chips.append(Chip(f"{start} – {end}", "date", params.between(None, None).url(view)))
    return chips


@dataclass
class Chip:
    label: str
    facet: str
    url: str  # the search without this filter
    excluded: bool = False
    any_of: bool = False  # one of several values combined with OR


def run_search(params: SearchParams, page_size: int = PAGE_SIZE) -> SearchOutcome:
    start = (params.page - 1) * page_size
    query = compile_query(params)
    found = get_engine().search(
        query,
        start=start,
        stop=start + page_size,
        sort=params.sort,
        facets=FACET_NAMES,
        facet_limit=FACET_LIMIT + 1,
        date_unit="day",  # the chart's unit comes from the span of these (search/dates.py)
        suggest=bool(params.q),
    )
    articles = articles_in_order(found.ids)
    counted = {facet.name: facet.from_index(found.facets.get(facet.name, [])) for facet in FACETS}
    names = display_names(
        {
            name: {v for v, _ in values[:FACET_LIMIT]}
            | {*params.selected.get(name, ()), *params.excluded.get(name, ())}
            for name, values in counted.items()
        }
    )
    columns = {}
    for facet in FACETS:
        shown = counted[facet.name][:FACET_LIMIT]
        shown += _chosen_counts(query, params, facet, {v for v, _ in shown})
        values = _facet_values(facet, shown, params, names[facet.name])
        if facet.name in params.any_of and params.selected.get(facet.name):
            _count_additions(query, facet, values)
        more = len(counted[facet.name]) > FACET_LIMIT
        columns[facet.name] = FacetColumn(facet, values, params, more)
    _selected_first(articles, params)
    date_unit, dates = chart(found.dates, params)
    terms = query_terms(params.q)
    suggestion = found.suggestion
    if suggestion and suggestion.strip().lower() == params.q.lower():
        suggestion = None
    return SearchOutcome(
        params=params,
        count=found.count,
        articles=articles,
        snippets={a.pk: snippet(a.body, terms) for a in articles},
        facets=columns,
        dates=dates,
        date_unit=date_unit,
        suggestion=suggestion,
        names=names,
        page_size=page_size,
    )


@dataclass
class FacetPage:
    """Every value of one facet in a search's results, a page at a time."""

    column: FacetColumn
    contains: str
    offset: int
    total: int
    limit: int

    @property
    def last_shown(self) -> int:
        return self.offset + len(self.column.values)

    def _query(self, offset: int) -> str:
        query = self.column.params.first_page.querydict()
        if self.contains:
            query["contains"] = self.contains
        if offset:
            query["offset"] = str(offset)
        return query.urlencode()

    @property
    def previous_query(self) -> str:
        return self._query(max(self.offset - self.limit, 0))

    @property
    def next_query(self) -> str:
        return self._query(self.offset + self.limit)


def facet_values_page(
    params: SearchParams, facet: Facet, contains: str = "", offset: int = 0, limit: int = 100
) -> FacetPage:
    """The facet's values in the current results, most frequent first, optionally only those
    whose name (or alias) contains `contains`, accents and case aside."""
    query = compile_query(params)
    if facet.name in params.any_of:
        query = query.without_choice(facet.name)
    only = {facet.term(v) for v in facet.matching(contains)} if contains else None
    counted = facet.from_index(get_engine().facet_counts(query, facet.name, only=only))
    shown = counted[offset : offset + limit]
    names = display_names({facet.name: {v for v, _ in shown}})[facet.name]
    values = _facet_values(facet, shown, params, names, keep_chosen=False)
    column = FacetColumn(facet, values, params, more=offset + limit < len(counted))
    return FacetPage(column, contains, offset, len(counted), limit)


def articles_in_order(ids: list[int], *, with_entities: bool = True) -> list[Article]:
    found = Article.objects.in_bulk(ids)
    articles = [found[pk] for pk in ids if pk in found]
    if with_entities:
        attach_entity_names(articles)
    return articles


def _chosen_counts(
    query: Query, params: SearchParams, facet: Facet, shown: set[str]
) -> list[tuple[str, int]]:
    """The counts of chosen values that are not among the most frequent: a chosen value is
    always shown, with its count."""
    missing = set(params.selected.get(facet.name, ())) - shown
    if not missing:
        return []
    if facet.name in params.any_of:
        query = query.without_choice(facet.name)
    only = {facet.term(v) for v in missing}
    return facet.from_index(get_engine().facet_counts(query, facet.name, only=only))


def _count_additions(query: Query, facet: Facet, values: list[FacetValue]) -> None:
    """For the values of an OR group not chosen: how many articles each would add."""
    offered = {facet.term(v.value): v for v in values if not v.selected and not v.excluded}
    if not offered:
        return
    within = dict(get_engine().facet_counts(query, facet.name, only=set(offered)))
    for term, value in offered.items():
        value.adds = value.count - within.get(term, 0)


def _selected_first(articles: list[Article], params: SearchParams) -> None:
    """Each article's entities as its result shows them (`shown_mentions`): those the search
    chose first, so that a result shows why it matched."""
    chosen = {int(v) for f in FACETS if f.is_entity for v in params.selected.get(f.name, ())}
    for article in articles:
        mentions = list(article.mentions.all())
        mentions.sort(key=lambda m: m.entity_id not in chosen)  # stable: the rest keep order
        article.shown_mentions = mentions[:SHOWN_MENTIONS]
        for mention in article.shown_mentions:
            mention.chosen = mention.entity_id in chosen


def _facet_values(
    facet: Facet,
    counted: list[tuple[str, int]],
    params: SearchParams,
    names: dict[str, str],
    keep_chosen: bool = True,
) -> list[FacetValue]:
    values = [
        FacetValue(facet, value, names[value], count, params)
        for value, count in counted
        if value in names  # an entity deleted since the article was indexed
    ]
    if keep_chosen:
        # A chosen value stays in its column (to be removed) even when nothing matches it;
        # selected values come first, in the order they were chosen.
        shown = {v.value for v in values}
        chosen = {*params.selected.get(facet.name, ()), *params.excluded.get(facet.name, ())}
        for value in sorted(chosen - shown):
            values.append(FacetValue(facet, value, names.get(value, value), 0, params))
        order = {v: i for i, v in enumerate(params.selected.get(facet.name, ()))}
        values.sort(key=lambda v: order.get(v.value, len(order)))
    return values
