"""The facets a search narrows by, written once: the index, the queries, the views, the JSON
and the templates all read this registry.

An entity facet holds entity ids (names may contain anything, and renames must not touch
the index); the source facet holds a hash of the source's name (search/keys.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.models import Article, Entity, EntityKind
from archive.names import normalize_key
from search.keys import source_key

# ASCII digits only: str.isdigit() also takes "²" and "①", which int() refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


class BadParameter(ValueError):
    """A request parameter that cannot be searched; the message says which and why."""


def is_whole_number(value: str) -> bool:
    return bool(_WHOLE_NUMBER.fullmatch(value))


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter and index field
    label: str  # column heading
    kind: str | None = None  # the entity kind; None for the source facet

    @property
    def is_entity(self) -> bool:
        return self.kind is not None

    def clean(self, values: list[str], parameter: str) -> list[str]:
        """URL values as the index holds them; entity ids must be whole numbers."""
        values = [v.strip() for v in values if v.strip()]
        if not self.is_entity:
            return list(dict.fromkeys(values))
        for value in values:
            if not is_whole_number(value):
                raise BadParameter(
                    f"'{parameter}' takes entity ids (whole numbers), not {value[:40]!r}."
                )
        return list(dict.fromkeys(str(int(v)) for v in values))

    def term(self, value: str) -> str:
        """The index term of a URL value."""
        return value if self.is_entity else source_key(value)

    def index_values(self, article: Article) -> list[str]:
        """What the index holds for an article (its mentions prefetched with their entities)."""
        if not self.is_entity:
            return [source_key(article.source)] if article.source else []
        return [str(m.entity_id) for m in article.mentions.all() if m.entity.kind == self.kind]

    def from_index(self, counted: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """Index terms with their counts, as URL values (a source's name, not its hash)."""
        if self.is_entity or not counted:
            return counted
        by_key = source_names({key for key, _ in counted})
        return [(by_key[key], n) for key, n in counted if key in by_key]

    def matching(self, contains: str) -> list[str]:
        """URL values whose name contains the text, accents and case aside."""
        if self.is_entity:
            ids = Entity.objects.named_like(contains, kind=self.kind).values_list("pk", flat=True)
            return [str(pk) for pk in ids]
        wanted = normalize_key(contains)
        return [name for name in source_names().values() if wanted in normalize_key(name)]

    def as_json(self, value: str, name: str) -> dict:
        return {"id": int(value), "name": name} if self.is_entity else {"name": name}


def display_names(wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Display names of URL values, by facet name, in one query for all entity facets;
    values that no longer exist (or are of another kind) are left out."""
    names: dict[str, dict[str, str]] = {name: {} for name in wanted}
    ids = {int(v) for name, values in wanted.items() if BY_NAME[name].is_entity for v in values}
    rows = Entity.objects.filter(pk__in=ids).values_list("pk", "kind", "name") if ids else []
    for pk, kind, name in rows:
        if kind in names:
            names[kind][str(pk)] = name
    for name, values in wanted.items():
        if not BY_NAME[name].is_entity:
            names[name] = {value: value for value in values}
    return names


_known_sources: dict[str, str] = {}


def source_names(needed: set[str] | None = None) -> dict[str, str]:
    """Index key of each source, to its name. A key always stands for the same name, so
    names already read are reused, and the database is read again (a scan of every article)
    only for all names or for a key not seen yet."""
    if needed is None or not needed <= _known_sources.keys():
        sources = Article.objects.order_by().values_list("source", flat=True).distinct()
        _known_sources.update({source_key(s): s for s in sources if s})
    return dict(_known_sources)


FACETS: tuple[Facet, ...] = (
    *(Facet(kind.value, kind.facts.plural, kind) for kind in EntityKind),
    Facet("source", "Sources"),
)
FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACETS)
ENTITY_FACETS: tuple[str, ...] = tuple(f.name for f in FACETS if f.is_entity)
BY_NAME: dict[str, Facet] = {f.name: f for f in FACETS}


def facet_named(name: str) -> Facet:
    try:
        return BY_NAME[name]
    except KeyError:
        raise BadParameter(f"There is no facet {name[:40]!r}: {', '.join(FACET_NAMES)}.") from None
