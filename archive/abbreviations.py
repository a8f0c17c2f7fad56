"""Abbreviations resolved across the archive: an article that shows "EC" standing for the
"European Community" (extraction joins the two in that article) teaches the archive that "EC"
names that entity everywhere. The abbreviation is kept as the entity's alias, and an entity
filed under the abbreviation alone, before the archive knew, is merged into it (a merge
record a curator can undo)."""

from __future__ import annotations

from archive.extraction import ExtractedEntity
from archive.names import CLIPPED_LETTERS, normalize_key


def is_abbreviation(name: str) -> bool:
    """ "EC", "S.E.C.", "Fed": a short name in capitals, or one clipped word."""
    letters = name.replace(".", "").replace("&", "")
    if " " in name or not 2 <= len(letters) <= 6:
        return False
    return letters.isupper() or (name.istitle() and len(letters) in CLIPPED_LETTERS)


def known_abbreviations() -> dict[str, tuple[str, str, str]]:
    """The abbreviations the archive keeps as aliases of long forms, by key."""
    from archive.models import Entity

    found: dict[str, tuple[str, str, str]] = {}
    rows = Entity.objects.exclude(aliases=[]).values_list("kind", "name", "key", "aliases")
    for kind, name, key, aliases in rows.iterator():
        for alias in aliases:
            if " " in key and is_abbreviation(alias):
                found.setdefault(normalize_key(alias), (kind, name, key))
    return found


def keep_abbreviations(
    per_article: list[tuple[object, list[ExtractedEntity]]], entity_ids: dict[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """Keep the abbreviations these articles showed as aliases of their entities, and merge
    into each the entities filed under its abbreviations alone; returns the (kind, key) of
    those merged away."""
    from archive.curation import merge_entities
    from archive.models import Entity

    found: dict[int, set[str]] = {}
    merged: set[tuple[str, str]] = set()
    for _, entities in per_article:
        for e in entities:
            if e.abbreviations and (e.kind, e.key) in entity_ids:
                found.setdefault(entity_ids[(e.kind, e.key)], set()).update(e.abbreviations)
    for entity in Entity.objects.filter(pk__in=found):
        known = {normalize_key(a) for a in entity.aliases}
        new = sorted(a for a in found[entity.pk] if normalize_key(a) not in known)
        if new:
            entity.aliases = [*entity.aliases, *new]
            entity.save(update_fields=["aliases"])
        keys = {normalize_key(a) for a in found[entity.pk]}
        alone = Entity.objects.filter(key__in=keys, curated=False).exclude(pk=entity.pk)
        alone = list(alone)
        if alone:
            merge_entities(entity, alone, curate=False)
            merged.update((other.kind, other.key) for other in alone)
    return merged
