"""One kind per name across the archive: the kind most articles give it."""

from __future__ import annotations

from collections import Counter, defaultdict

from archive.extraction import ExtractedEntity
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
    kinds = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}
    for key in kinds:
        if key in surnames and not known_place(key):
            kinds[key] = "person"
    return kinds


def harmonize_kinds(articles: list[list[ExtractedEntity]]) -> list[list[ExtractedEntity]]:
    """The same articles with every name given its archive-wide kind."""
    kinds = majority_kinds(articles)
    result = []
    for entities in articles:
        merged: dict[str, ExtractedEntity] = {}
        for e in entities:
            kind = kinds[e.key]
            if e.key in merged:
                merged[e.key].offsets = sorted(
                    {*map(tuple, merged[e.key].offsets), *map(tuple, e.offsets)}
                )
            else:
                merged[e.key] = ExtractedEntity(kind, e.name, e.key, list(e.offsets))
        result.append(list(merged.values()))
    return result
