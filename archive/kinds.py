"""One kind per name across the archive: the kind most articles give it."""

from __future__ import annotations

from collections import Counter, defaultdict

from archive.extraction import ExtractedEntity, union_offsets
from archive.gazetteer import known_place


def majority_kinds(articles: list[list[ExtractedEntity]]) -> dict[str, str]:
    """For each name key, the kind most articles give it (ties: first seen).

    A lone word that is the surname of a person named in full elsewhere in the archive is
    that person's surname, whatever a sentence made the tagger think ("Trump said…").
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    surnames: set[str] = set()
    for entities in articles:
        for entity in entities:
            votes[entity.key][entity.kind] += 1
            words = entity.key.split()
            if entity.kind == "person" and len(words) > 1:
                surnames.add(words[-1])
    # Ties go to a person, as within an article (extraction._majority_kind).
    kinds = {
        key: max(counter, key=lambda k: (counter[k], k == "person"))
        for key, counter in votes.items()
    }
    for key in kinds:
        if key in surnames and not known_place(key):
            kinds[key] = "person"
    return kinds


def harmonize_kinds(articles: list[list[ExtractedEntity]]) -> list[list[ExtractedEntity]]:
    """The same articles with every name given its archive-wide kind."""
    kinds = majority_kinds(articles)
    return [apply_kinds(entities, kinds) for entities in articles]


def apply_kinds(entities: list[ExtractedEntity], kinds: dict[str, str]) -> list[ExtractedEntity]:
    """One article's entities with the given kinds; names that now coincide are merged."""
    merged: dict[tuple[str, str], ExtractedEntity] = {}
    for e in entities:
        kind = kinds.get(e.key, e.kind)
        if (kind, e.key) in merged:
            merged[(kind, e.key)].offsets = union_offsets(merged[(kind, e.key)].offsets, e.offsets)
        else:
            merged[(kind, e.key)] = ExtractedEntity(kind, e.name, e.key, list(e.offsets))
    return list(merged.values())


def archive_kinds(keys: set[str]) -> dict[str, str]:
    """The kind the archive already gives each of these names, where it gives only one."""
    from archive.models import Entity

    found: dict[str, set[str]] = defaultdict(set)
    for key, kind in Entity.objects.filter(key__in=keys).values_list("key", "kind"):
        found[key].add(kind)
    return {key: kinds.pop() for key, kinds in found.items() if len(kinds) == 1}
