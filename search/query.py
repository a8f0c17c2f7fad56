"""Searches as readers ask for them: parameters in, ranked articles and facet counts out.

Views (HTML, JSON, exports) parse the request with `parse_params` and call `run_search`; the
search itself speaks only Haystack's API, so another Haystack backend would serve it unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.http import QueryDict
from haystack.query import SearchQuerySet

from archive.curation import resolve_entity_ids
from archive.models import Article, Entity, EntityKind
from search.keys import source_key
from search.snippets import query_terms, snippet

ENTITY_FACETS = tuple(EntityKind.values)
FACETS = (*ENTITY_FACETS, "source")
SORTS = {"relevance": None, "newest": "-published", "oldest": "published"}
PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 1000
FACET_LIMIT = 50


class BadParameter(ValueError):
    """A request parameter that cannot be searched; the message says which and why."""


@dataclass
class SearchParams:
    q: str = ""
    selected: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    any_of: set[str] = field(default_factory=set)  # facets whose values combine with OR
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1

    def querydict(self, **changes) -> QueryDict:
        """These parameters as a URL query, with `changes` applied (None removes)."""
        data: dict[str, list[str]] = {}
        if self.q:
            data["q"] = [self.q]
        for facet in FACETS:
            if self.selected.get(facet):
                data[facet] = list(self.selected[facet])
            if self.excluded.get(facet):
                data[f"exclude_{facet}"] = list(self.excluded[facet])
            if facet in self.any_of:
                data[f"{facet}_op"] = ["or"]
        if self.date_from:
            data["date_from"] = [self.date_from.isoformat()]
        if self.date_to:
            data["date_to"] = [self.date_to.isoformat()]
        if self.sort != "relevance":
            data["sort"] = [self.sort]
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value if isinstance(value, list) else [value]
        query = QueryDict(mutable=True)
        for key, values in data.items():
            query.setlist(key, values)
        return query

    def url(self, **changes) -> str:
        return "?" + urlencode(self.querydict(**changes), doseq=True)

    @property
    def has_filters(self) -> bool:
        return bool(
            any(self.selected.values())
            or any(self.excluded.values())
            or self.date_from
            or self.date_to
        )


# ASCII digits only: str.isdigit() also takes "²" and "①", which int() refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def _entity_ids(values: list[str], name: str) -> list[str]:
    ids = []
    for value in values:
        if not _WHOLE_NUMBER.fullmatch(value.strip()):
            raise BadParameter(f"'{name}' takes entity ids (whole numbers), not {value[:40]!r}.")
        ids.append(str(int(value)))
    return ids


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadParameter(f"'{name}' must be a date as YYYY-MM-DD, not {value[:40]!r}.") from None


def parse_params(query: QueryDict) -> SearchParams:
    """Validate request parameters; raises BadParameter with a message for the reader."""
    params = SearchParams(q=query.get("q", "").strip())
    if len(params.q) > MAX_QUERY_LENGTH:
        raise BadParameter(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    for facet in FACETS:
        values = [v for v in query.getlist(facet) if v.strip()]
        excluded = [v for v in query.getlist(f"exclude_{facet}") if v.strip()]
        if facet in ENTITY_FACETS:
            values = _entity_ids(values, facet)
            excluded = _entity_ids(excluded, f"exclude_{facet}")
        if facet in ENTITY_FACETS:
            # Bookmarked searches keep working after a merge: old ids mean the survivor.
            current = resolve_entity_ids(int(v) for v in [*values, *excluded])
            values = [str(current[int(v)]) for v in values]
            excluded = [str(current[int(v)]) for v in excluded]
        params.selected[facet] = list(dict.fromkeys(values))
        params.excluded[facet] = list(dict.fromkeys(excluded))
        operator = query.get(f"{facet}_op", "and").lower()
        if operator not in {"and", "or"}:
            raise BadParameter(f"'{facet}_op' is 'and' or 'or', not {operator[:20]!r}.")
        if operator == "or":
            params.any_of.add(facet)
    params.date_from = _date(query.get("date_from"), "date_from")
    params.date_to = _date(query.get("date_to"), "date_to")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise BadParameter("'date_from' is after 'date_to'.")
    params.sort = query.get("sort", "relevance") or "relevance"
    if params.sort not in SORTS:
        raise BadParameter(f"'sort' is one of {', '.join(SORTS)}, not {params.sort[:20]!r}.")
    page = query.get("page", "1") or "1"
    if not _WHOLE_NUMBER.fullmatch(page) or not 1 <= int(page) <= MAX_PAGE:
        raise BadParameter(f"'page' is a whole number from 1 to {MAX_PAGE}.")
    params.page = int(page)
    return params


def _term(facet: str, value: str) -> str:
    return f"{facet}:{source_key(value) if facet == 'source' else value}"


def base_queryset(params: SearchParams, skip_facet: str | None = None) -> SearchQuerySet:
    """The search with every filter except, optionally, one facet's own selection."""
    sqs = SearchQuerySet().models(Article)
    sqs = sqs.raw_search(params.q) if params.q else sqs.all()
    for facet in FACETS:
        chosen = params.selected.get(facet, [])
        if chosen and facet != skip_facet:
            if facet in params.any_of:
                sqs = sqs.narrow(" OR ".join(_term(facet, v) for v in chosen))
            else:
                for value in chosen:
                    sqs = sqs.narrow(_term(facet, value))
        for value in params.excluded.get(facet, []):
            sqs = sqs.narrow(f"NOT {_term(facet, value)}")
    if params.date_from or params.date_to:
        # Both bounds, zero-padded: Whoosh reads "[20250101 TO ]" as an unparseable date and
        # strftime writes year 5 as "5".
        start, end = params.date_from or date.min, params.date_to or date.max
        sqs = sqs.narrow(f"published:[{_day(start)} TO {_day(end)}]")
    return sqs


@dataclass
class FacetValue:
    value: str
    name: str
    count: int
    selected: bool
    excluded: bool = False

    def as_dict(self, facet: str) -> dict:
        key = "name" if facet == "source" else "id"
        data = {key: self.value if facet == "source" else int(self.value)}
        if facet != "source":
            data["name"] = self.name
        return {**data, "count": self.count, "selected": self.selected, "excluded": self.excluded}


@dataclass
class SearchOutcome:
    params: SearchParams
    count: int
    articles: list[Article]
    snippets: dict[int, str]
    facets: dict[str, list[FacetValue]]
    dates: list[dict]
    date_unit: str
    suggestion: str | None
    names: dict[str, dict[str, str]]
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


def run_search(params: SearchParams, page_size: int = PAGE_SIZE) -> SearchOutcome:
    sqs = base_queryset(params)
    for facet in FACETS:
        sqs = sqs.facet(facet, limit=FACET_LIMIT)
    date_unit = _date_unit(params)
    sqs = sqs.date_facet("published", date(1, 1, 1), date(9999, 12, 31), gap_by=date_unit)
    if SORTS[params.sort]:
        sqs = sqs.order_by(SORTS[params.sort])
    start = (params.page - 1) * page_size
    hits = list(sqs[start : start + page_size])
    count = sqs.count()
    counts = sqs.facet_counts() or {}
    fields = dict(counts.get("fields", {}))
    for facet in params.any_of:
        # OR-ed facets count without their own selection, so the alternatives stay visible.
        if params.selected.get(facet):
            own = base_queryset(params, skip_facet=facet).facet(facet, limit=FACET_LIMIT)
            fields[facet] = own.facet_counts().get("fields", {}).get(facet, [])
    articles = articles_in_order([int(h.pk) for h in hits])
    if fields.get("source"):
        by_key = source_names()
        fields["source"] = [(by_key.get(key, key), n) for key, n in fields["source"]]
    names = _facet_names(fields, params)
    facets = {
        facet: _facet_values(facet, fields.get(facet, []), params, names[facet]) for facet in FACETS
    }
    terms = query_terms(params.q)
    suggestion = None
    if params.q:
        suggestion = sqs.spelling_suggestion()
        if suggestion and suggestion.strip().lower() == params.q.lower():
            suggestion = None
    return SearchOutcome(
        params=params,
        count=count,
        articles=articles,
        snippets={a.pk: snippet(a.body, terms) for a in articles},
        facets=facets,
        dates=[
            {"start": start.date(), "count": n}
            for start, n in counts.get("dates", {}).get("published", [])
        ],
        date_unit=date_unit,
        suggestion=suggestion,
        names=names,
        page_size=page_size,
    )


def _day(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _date_unit(params: SearchParams) -> str:
    if params.date_from and params.date_to:
        return "month" if (params.date_to - params.date_from).days <= 3 * 366 else "year"
    return "year"


def articles_in_order(ids: list[int]) -> list[Article]:
    found = Article.objects.with_entities().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _facet_names(fields: dict, params: SearchParams) -> dict[str, dict[str, str]]:
    """Names for facet values, from the database: an index holds ids, never names."""
    names: dict[str, dict[str, str]] = {facet: {} for facet in FACETS}
    wanted = {
        facet: {v for v, _ in fields.get(facet, [])}
        | set(params.selected.get(facet, []))
        | set(params.excluded.get(facet, []))
        for facet in FACETS
    }
    entity_ids = {int(v) for facet in ENTITY_FACETS for v in wanted[facet]}
    for entity in Entity.objects.filter(pk__in=entity_ids).only("pk", "name", "kind"):
        names[entity.kind][str(entity.pk)] = entity.name
    names["source"] = {value: value for value in wanted["source"]}
    return names


def source_names() -> dict[str, str]:
    """Index key of each source, to its name."""
    sources = Article.objects.order_by().values_list("source", flat=True).distinct()
    return {source_key(s): s for s in sources if s}


def _facet_values(facet, counted, params: SearchParams, names) -> list[FacetValue]:
    selected = set(params.selected.get(facet, []))
    excluded = set(params.excluded.get(facet, []))
    values = []
    for value, count in counted:
        if value not in names:
            continue  # an entity deleted since the article was indexed
        values.append(
            FacetValue(value, names.get(value, value), count, value in selected, value in excluded)
        )
    shown = {v.value for v in values}
    for value in sorted((selected | excluded) - shown):
        values.append(
            FacetValue(value, names.get(value, value), 0, value in selected, value in excluded)
        )
    return values
