"""One kind per name across the archive: a name the archive already files keeps its kind."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError

from archive.extraction import ExtractedEntity, union_offsets
from archive.gazetteer import known_place

logger = logging.getLogger(__name__)


class ArchiveKinds:
    """What the archive already says about names, kept up to date through one run.

    A name a curator filed keeps that kind. A lone word that is the surname of a person the
    archive (or the batch being settled) names in full is that person's surname ("Ferreira
    said…"), unless the same article names an organization that begins with it ("Ford" beside
    "Ford Motor Co"). Any other name the archive files under exactly one kind keeps that kind.
    The import and the dry run (`extract_entities`) both settle each batch with one of these
    and then `record` it, so the dry run prints what the import stores.
    """

    def __init__(self) -> None:
        self._kinds: dict[str, set[str]] = {}
        self._curated: dict[str, str] = {}
        self._surnames: set[str] | None = None

    def settle(self, entities: list[ExtractedEntity]) -> list[ExtractedEntity]:
        """One article's extracted entities with the archive's kinds; names that now
        coincide are merged. The batch must have been `load`ed first."""
        org_first_words = {
            e.key.split(" ", 1)[0] for e in entities if e.kind == "organization" and " " in e.key
        }
        kinds = {}
        for e in entities:
            known = self._kinds.get(e.key, set())
            if e.key in self._curated:
                kinds[e.key] = self._curated[e.key]
            elif (
                e.kind != "person"
                and " " not in e.key
                and e.key in self._surnames
                and e.key not in org_first_words
                and not known_place(e.key)
            ):
                kinds[e.key] = "person"
            elif len(known) == 1:
                (kinds[e.key],) = known
        return apply_kinds(entities, kinds)

    def load(self, entities: Iterable[ExtractedEntity]) -> None:
        """Read what the database holds for these names (once per name and run), and take
        the full names of people among them as known surnames for the batch."""
        from archive.models import Entity

        entities = list(entities)
        missing = {e.key for e in entities} - self._kinds.keys()
        for key in missing:
            self._kinds[key] = set()
        try:
            if self._surnames is None:
                full_names = Entity.objects.filter(kind="person", key__contains=" ")
                keys_in_full = full_names.values_list("key", flat=True).iterator()
                self._surnames = {_surname(key) for key in keys_in_full}
            rows = Entity.objects.filter(key__in=missing).values_list("key", "kind", "curated")
            for key, kind, curated in rows:
                self._kinds[key].add(kind)
                if curated:
                    self._curated[key] = kind
        except DatabaseError as exc:
            # A dry run before the database exists: an empty archive says nothing.
            logger.warning("Extraction without the archive's kinds: %s", exc)
            self._surnames = self._surnames or set()
        self._learn_surnames(entities)

    def record(self, entities: list[ExtractedEntity]) -> None:
        """Remember what a batch stored, as the database now holds it."""
        for e in entities:
            self._kinds.setdefault(e.key, set()).add(e.kind)
        self._learn_surnames(entities)

    def _learn_surnames(self, entities: list[ExtractedEntity]) -> None:
        self._surnames.update(
            _surname(e.key) for e in entities if e.kind == "person" and " " in e.key
        )


def _surname(key: str) -> str:
    return key.rsplit(" ", 1)[1]


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
