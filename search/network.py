"""Who appears with whom: co-mention networks, pair timelines and entity connections.

Everything is counted live by the search engine on the current search's result set (any
words, filters, exclusions and dates), exactly: no graph is stored beside the index, and a
curator's merge is reflected as soon as the merged articles are re-indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from archive.models import Article, Entity
from search.dates import month_starts
from search.engines import get_engine
from search.engines.base import CoMention, Member, Query
from search.facets import ENTITY_FACETS, BadParameter, display_names
from search.query import (
    PAGE_SIZE,
    SearchParams,
    articles_in_order,
    compile_query,
)

DEFAULT_SIZE = 30
MAX_SIZE = 100
# A network's drawing shows this many of the strongest links (the API and the list give all).
DRAWN_EDGES = 60
# The share of a network's places split evenly among the kinds shown.
KIND_SHARE = 0.5
# The drawing, in the SVG's own units: its width, its least height, and its labels.
WIDTH, HEIGHT, MARGIN = 1000, 700, 10
LABEL_SIZE = 14  # static/archive.css: .network-node text
LABEL_CHAR = 0.62 * LABEL_SIZE  # a wide estimate of a character's width
LABEL_CHARS = 28  # longer names are cut (templates/search/network.html)
NEW_CONNECTION_DAYS = 90
DATE_FIELD = "published"


def entity_json(entity: Entity) -> dict:
    return {"id": entity.pk, "name": entity.name, "kind": entity.kind}


def member(entity: Entity) -> Member:
    return (entity.kind, str(entity.pk))


# The network of a search


@dataclass
class Node:
    id: int
    name: str
    kind: str
    count: int
    url: str = ""  # the network with this entity added as a filter
    x: float = 0.0
    y: float = 0.0
    radius: float = 0.0

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "count": self.count}


@dataclass
class Edge:
    source: Node
    target: Node
    count: int
    url: str = ""  # the pair page: the articles of the search naming both
    drawn: bool = False
    width: float = 1.0

    def as_dict(self) -> dict:
        return {"source": self.source.id, "target": self.target.id, "count": self.count}


@dataclass
class Network:
    params: SearchParams
    size: int
    kinds: tuple[str, ...]
    articles: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    height: int = HEIGHT  # of the drawing, grown so that no two labels overlap

    def as_dict(self) -> dict:
        return {
            "articles": self.articles,
            "nodes": [n.as_dict() for n in self.nodes],
            "edges": [e.as_dict() for e in self.edges],
        }

    @property
    def drawn_edges(self) -> list[Edge]:
        return [e for e in self.edges if e.drawn]


def parse_network_options(query) -> tuple[int, tuple[str, ...]]:
    """`size` (1-100, default 30) and `kinds` (comma-separated entity kinds, default all)."""
    raw_size = query.get("size", str(DEFAULT_SIZE)).strip()
    if not raw_size.isascii() or not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_SIZE:
        raise BadParameter(f"'size' is a whole number from 1 to {MAX_SIZE}, not {raw_size[:20]!r}.")
    kinds = tuple(k for k in query.get("kinds", "").split(",") if k.strip()) or ENTITY_FACETS
    unknown = [k for k in kinds if k not in ENTITY_FACETS]
    if unknown:
        raise BadParameter(
            f"'kinds' takes {', '.join(ENTITY_FACETS)} (comma-separated), not {unknown[0][:30]!r}."
        )
    return int(raw_size), tuple(dict.fromkeys(k.strip() for k in kinds))


def network(params: SearchParams, size: int = DEFAULT_SIZE, kinds=ENTITY_FACETS) -> Network:
    """The `size` entities (of these kinds) named in most of the search's articles, and how
    many articles name each pair of them."""
    engine, query = get_engine(), compile_query(params)
    counted = [
        (count, kind, term)
        for kind in kinds
        for term, count in engine.facet_counts(query, kind, limit=size)
    ]
    counted.sort(key=lambda row: (-row[0], int(row[2])))
    names = display_names({kind: {term for _, k, term in counted if k == kind} for kind in kinds})
    # An entity deleted since the last index update has no name: it is left out.
    named = [(n, kind, term) for n, kind, term in counted if term in names[kind]]
    top = _with_every_kind(named, size, kinds)
    result = Network(params, size, tuple(kinds), engine.count(query))
    matrix = engine.comentions(query, [(kind, term) for _, kind, term in top])
    for _, kind, term in top:
        result.nodes.append(
            Node(
                int(term),
                names[kind][term],
                kind,
                int(matrix[len(result.nodes), len(result.nodes)]),
                url=params.selecting(kind, term).url("search:network"),
            )
        )
    for i, a in enumerate(result.nodes):
        for j in range(i + 1, len(result.nodes)):
            if matrix[i, j]:
                b = result.nodes[j]
                edge = Edge(a, b, int(matrix[i, j]), url=pair_url(params, a.id, b.id))
                result.edges.append(edge)
    result.edges.sort(key=lambda e: (-e.count, e.source.id, e.target.id))
    return result


def _with_every_kind(counted: list, size: int, kinds) -> list:
    """The `size` most named, each kind keeping a share (KIND_SHARE of the places) when it
    has that many: the top 30 for "oil" would otherwise hold places and organizations only."""
    share = int(size * KIND_SHARE / len(kinds)) if len(kinds) > 1 else 0
    kept = []
    for kind in kinds:
        kept += [row for row in counted if row[1] == kind][:share]
    chosen = set(kept)
    kept += [row for row in counted if row not in chosen][: size - len(kept)]
    return sorted(kept, key=lambda row: (-row[0], int(row[2])))


def pair_url(params: SearchParams, a: int, b: int) -> str:
    query = params.first_page.querydict()
    query["a"], query["b"] = str(a), str(b)
    return f"{params.url('search:pair').split('?')[0]}?{query.urlencode()}"


def lay_out(result: Network) -> None:
    """Positions from a few hundred force-directed steps (linked entities pull together, all
    push apart, and a weak pull to the middle keeps unlinked groups from the corners), then
    moved apart until no circle or label covers another, inside a drawing WIDTH wide and as
    tall as that needs. Deterministic: the same search draws the same picture."""
    nodes = result.nodes
    if not nodes:
        return
    n = len(nodes)
    index = {node.id: i for i, node in enumerate(nodes)}
    weight = np.zeros((n, n))
    for edge in result.edges:
        i, j = index[edge.source.id], index[edge.target.id]
        weight[i, j] = weight[j, i] = edge.count
    weight /= max(weight.max(), 1)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pos = np.c_[np.cos(angles), np.sin(angles)] * np.sqrt(np.arange(1, n + 1) / n)[:, None]
    ideal = 1.6 / np.sqrt(n)
    step = 0.1
    for _ in range(300):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        push = ideal**2 / distance**2
        pull = weight * distance / ideal
        force = ((push - pull)[:, :, None] * delta).sum(axis=1) - 0.05 * pos
        length = np.maximum(np.linalg.norm(force, axis=1), 1e-9)
        pos += force / length[:, None] * np.minimum(length, step)[:, None]
        step *= 0.985
    peak = max(node.count for node in nodes) or 1
    radius = np.array([5 + 20 * float(np.sqrt(node.count / peak)) for node in nodes])
    label = np.array([min(len(node.name), LABEL_CHARS) * LABEL_CHAR / 2 + 2 for node in nodes])
    half = np.maximum(radius, label)  # each node's box: circle above, label below
    above, below = radius + 2, radius + LABEL_SIZE + 6
    low, high = pos.min(axis=0), pos.max(axis=0)
    span = np.where(high - low > 1e-9, high - low, 1)
    unit = (pos - low) / span
    x = MARGIN + half + unit[:, 0] * (WIDTH - 2 * (MARGIN + half))
    y = MARGIN + above + unit[:, 1] * (HEIGHT - 2 * MARGIN - above - below)
    x, y = _apart(x, y, half, above, below)
    result.height = int(max(HEIGHT, float((y + below).max()) + MARGIN))
    for i, node in enumerate(nodes):
        node.x, node.y, node.radius = float(x[i]), float(y[i]), float(radius[i])
    strongest = max((e.count for e in result.edges), default=1)
    for edge in result.edges[:DRAWN_EDGES]:
        edge.drawn = True
        edge.width = 1 + 7 * edge.count / strongest


def _apart(x, y, half, above, below):
    """Each node's box ([x - half, x + half] by [y - above, y + below]) placed, largest
    first, where the layout put it or, if that covers a box already placed, at the nearest
    spot beside, above or below one of them; x stays inside the width, y may grow downwards
    (a spot below every box is always free)."""
    placed: list[int] = []
    x, y = x.copy(), y.copy()
    for i in sorted(range(len(x)), key=lambda i: (-half[i] * above[i], i)):
        if placed:
            px, py = x[placed], y[placed]
            ph, pa, pb = half[placed], above[placed], below[placed]
            cx = np.concatenate(
                ([x[i]], px + ph + half[i], px - ph - half[i], [x[i]] * 2 * len(placed))
            )
            cy = np.concatenate(
                ([y[i]], [y[i]] * 2 * len(placed), py + pb + above[i], py - pa - below[i])
            )
            cx = np.clip(cx, MARGIN + half[i], WIDTH - MARGIN - half[i])
            cy = np.maximum(cy, MARGIN + above[i])
            across = (ph[None, :] + half[i]) - np.abs(cx[:, None] - px[None, :])
            down = np.minimum(cy[:, None] + below[i], (py + pb)[None, :]) - np.maximum(
                cy[:, None] - above[i], (py - pa)[None, :]
            )
            free = ~((across > 0) & (down > 0)).any(axis=1)
            if free.any():
                distance = np.where(free, (cx - x[i]) ** 2 + (cy - y[i]) ** 2, np.inf)
                best = int(np.argmin(distance))
                x[i], y[i] = cx[best], cy[best]
            else:
                x[i] = min(max(x[i], MARGIN + half[i]), WIDTH - MARGIN - half[i])
                y[i] = float((py + pb).max()) + above[i]
        placed.append(i)
    return x, y


# Two entities over time


@dataclass
class MonthRow:
    start: date
    both: int
    first: int  # articles naming the first entity (within the search)
    second: int

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "count": self.both, "unit": "month"}


@dataclass
class Pair:
    params: SearchParams
    first: Entity
    second: Entity
    count: int
    first_date: date | None
    last_date: date | None
    months: list[MonthRow]
    articles: list[Article]

    def as_dict(self) -> dict:
        return {
            "a": entity_json(self.first),
            "b": entity_json(self.second),
            "count": self.count,
            "first": self.first_date.isoformat() if self.first_date else None,
            "last": self.last_date.isoformat() if self.last_date else None,
            "series": [row.as_dict() for row in self.months],
            "articles": [
                {
                    "id": a.pk,
                    "title": a.title,
                    "published": a.published.isoformat() if a.published else None,
                    "url": a.get_absolute_url(),
                }
                for a in self.articles
            ],
        }


def pair(params: SearchParams, first: Entity, second: Entity) -> Pair:
    """How often the search's articles name both entities, when, and the newest of them."""
    engine, query = get_engine(), compile_query(params)
    a, b = query.naming(member(first)), query.naming(member(second))
    both = a.naming(member(second))
    found = engine.search(both, stop=PAGE_SIZE, sort="newest")
    first_date, last_date = engine.date_span(both)
    return Pair(
        params,
        first,
        second,
        found.count,
        first_date,
        last_date,
        _monthly(engine, both, a, b),
        articles_in_order(found.ids, with_entities=False),
    )


def _every_month(months: set[date]) -> list[date]:
    """The months from the first to the last of these, empty ones included (unless there
    are too many to show)."""
    if not months:
        return []
    first, last = min(months), max(months)
    return month_starts(first, last) or sorted(months)


def _monthly(engine, both: Query, a: Query, b: Query) -> list[MonthRow]:
    """Month by month, from the first month either entity is named to the last."""
    counts = [dict(engine.date_histogram(query, "month")) for query in (both, a, b)]
    months = _every_month(set(counts[1]) | set(counts[2]))
    return [MonthRow(m, *(c.get(m, 0) for c in counts)) for m in months]


# One entity across the archive


class NewestFirst(Sequence):
    """A query's articles, newest first, loaded a slice at a time (for Django's Paginator:
    counting and paging cost nothing in the database)."""

    def __init__(self, query: Query):
        self.query = query
        self.total = get_engine().count(query)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(self.total)
        ids = get_engine().ids(self.query, start, stop, "newest") if stop > start else []
        return articles_in_order(ids, with_entities=False)


@dataclass
class Connection:
    entity: Entity
    count: int  # articles naming both
    first: date | None  # their first co-mention


@dataclass
class EntityProfile:
    entity: Entity
    articles: NewestFirst
    timeline: list[dict]  # {"month": date, "count": n}, oldest first, empty months included
    connections: list[Connection]  # named with it most often
    new_connections: list[Connection]  # first named with it in the archive's last 90 days


def entity_profile(entity: Entity, limit: int = 12) -> EntityProfile:
    """The entity's articles, monthly timeline and connections, across the archive."""
    engine, everything = get_engine(), Query()
    own = everything.naming(member(entity))
    counts = dict(engine.date_histogram(own, "month"))
    connections, new_connections = _connections(engine, entity, limit)
    return EntityProfile(
        entity,
        NewestFirst(own),
        [{"month": m, "count": counts.get(m, 0)} for m in _every_month(set(counts))],
        connections,
        new_connections,
    )


def _connections(engine, entity: Entity, limit: int) -> tuple[list[Connection], list[Connection]]:
    """The entities named with this one most often, and those first named with it in the
    archive's last NEW_CONNECTION_DAYS."""
    found = [
        c
        for c in engine.cooccurring(Query(), member(entity))
        if c.member[0] in ENTITY_FACETS and int(c.member[1]) != entity.pk
    ]
    top = sorted(found, key=lambda c: (-c.count, int(c.member[1])))[:limit]
    fresh = []
    latest = engine.date_span(Query())[1]
    if latest:
        since = latest - timedelta(days=NEW_CONNECTION_DAYS)
        recent = [c for c in found if c.first and c.first >= since]
        fresh = sorted(recent, key=lambda c: (-c.count, -c.first.toordinal(), int(c.member[1])))
        fresh = fresh[:limit]
    entities = Entity.objects.in_bulk({int(c.member[1]) for c in [*top, *fresh]})

    def listed(chosen: list[CoMention]) -> list[Connection]:
        return [
            Connection(entities[int(c.member[1])], c.count, c.first)
            for c in chosen
            if int(c.member[1]) in entities
        ]

    return listed(top), listed(fresh)
