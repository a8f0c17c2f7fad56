"""What the archive already knows about names, applied to a new article's: curated kinds,
surnames of people it names in full, organizations' names, and abbreviations it has seen
written out."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError

from archive.abbreviations import is_abbreviation, known_abbreviations
from archive.extraction import ExtractedEntity, union_offsets
from archive.gazetteer import is_given_name, known_place
from archive.names import normalize_key

logger = logging.getLogger(__name__)


class ArchiveKinds:
    """What the archive already says about names, kept up to date through one run.

    A name a curator filed keeps that kind. A lone word that is the surname of a person the
    archive (or the batch being settled) names in full is that person's surname ("Ferreira
    said…"); one extraction filed as a place only if a given name or an initial begins one of
    those full names (one bad name in a headline, "Lebed Chechnya", must not make Chechnya a
    person everywhere). Not if the same article names an organization that begins with it
    ("Ford" beside "Ford Motor Co") or the archive files the name only as an organization
    ("Moody's", though it names an A. Moody too). A name the archive files only as an
    organization is not taken for a person. Otherwise the article's context decides: one
    name may be two entities of two kinds (Clinton the person, Clinton the town).
    The import and the dry run (`extract_entities`) both settle each batch with one of these
    and then `record` it, so the dry run prints what the import stores.
    """

    def __init__(self) -> None:
        self._kinds: dict[str, set[str]] = {}
        self._curated: dict[str, str] = {}
        # A surname of a person the archive names in full -> whether one of those full names
        # begins with a given name or an initial ("Ana Ferreira", not "Lebed Chechnya").
        self._surnames: dict[str, bool] | None = None
        # An abbreviation's key -> (kind, name, key) of the long form some article showed it
        # stands for (kept as that entity's alias).
        self._abbreviations: dict[str, tuple[str, str, str]] | None = None
        # The first words of organizations' names of several words ("merrill lynch" for
        # "Merrill Lynch Capital Markets", "nippon" for "Nippon Steel Corp").
        self._organization_heads: set[str] = set()
        self._organizations_read = False

    def settle(self, entities: list[ExtractedEntity]) -> list[ExtractedEntity]:
        """One article's extracted entities with the archive's kinds; names that now
        coincide are merged. The batch must have been `load`ed first."""
        entities = [self._written_out(e) for e in entities]
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
                and (e.kind == "organization" or self._surnames[e.key])
                and e.key not in org_first_words
                and known != {"organization"}
                and not known_place(e.key)
            ):
                kinds[e.key] = "person"
            elif (
                e.kind == "person"
                and e.key not in self._surnames
                and (known == {"organization"} or self._heads_organization(e))
            ):
                # "Treasury", "Merrill Lynch": the archive files the very name as an
                # organization, or an organization's name begins with it ("Merrill Lynch
                # Capital Markets", "Nippon Steel"), and it is no known person's surname.
                kinds[e.key] = "organization"
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
            if self._abbreviations is None:
                self._abbreviations = known_abbreviations()
            if not self._organizations_read:
                names = Entity.objects.filter(kind="organization", key__contains=" ")
                self._learn_organizations(names.values_list("key", flat=True).iterator())
                self._organizations_read = True
            if self._surnames is None:
                full_names = Entity.objects.filter(kind="person", key__contains=" ")
                keys_in_full = full_names.values_list("key", flat=True).iterator()
                self._surnames = {}
                self._learn_surnames(keys_in_full)
            rows = Entity.objects.filter(key__in=missing).values_list("key", "kind", "curated")
            for key, kind, curated in rows:
                self._kinds[key].add(kind)
                if curated:
                    self._curated[key] = kind
        except DatabaseError as exc:
            # A dry run before the database exists: an empty archive says nothing.
            logger.warning("Extraction without the archive's kinds: %s", exc)
            self._surnames = self._surnames or {}
            self._abbreviations = self._abbreviations or {}
        self._learn_surnames(_people_in_full(entities))
        self._learn_organizations(e.key for e in entities if e.kind == "organization")

    def record(self, entities: list[ExtractedEntity]) -> None:
        """Remember what a batch stored, as the database now holds it."""
        for e in entities:
            self._kinds.setdefault(e.key, set()).add(e.kind)
            for short in e.abbreviations:
                self._abbreviations[normalize_key(short)] = (e.kind, e.name, e.key)
        self._learn_surnames(_people_in_full(entities))

    def _written_out(self, e: ExtractedEntity) -> ExtractedEntity:
        """An abbreviation the archive has seen stand for a long form ("EC" for "European
        Community", in another article) is that entity here too."""
        long = self._abbreviations.get(e.key) if " " not in e.key else None
        if long is None or e.key in self._curated or not is_abbreviation(e.name):
            return e
        kind, name, key = long
        return ExtractedEntity(kind, name, key, list(e.offsets), [e.name])

    def _heads_organization(self, e: ExtractedEntity) -> bool:
        """Whether an organization's name begins with this name, and no given name makes it
        a person's ("Martin" for Martin Marietta is still someone's first name)."""
        if e.key not in self._organization_heads:
            return False
        return " " in e.key or not is_given_name(e.name, e.key)

    def _learn_organizations(self, keys) -> None:
        for key in keys:
            words = key.split()
            self._organization_heads.update(" ".join(words[:n]) for n in range(1, len(words)))

    def _learn_surnames(self, keys: Iterable[str]) -> None:
        for key in keys:
            first, surname = key.split(" ", 1)[0], _surname(key)
            given = len(first) == 1 or is_given_name(first, first)
            self._surnames[surname] = self._surnames.get(surname, False) or given


def _people_in_full(entities: list[ExtractedEntity]) -> list[str]:
    return [e.key for e in entities if e.kind == "person" and " " in e.key]


def _surname(key: str) -> str:
    return key.rsplit(" ", 1)[1]


def apply_kinds(entities: list[ExtractedEntity], kinds: dict[str, str]) -> list[ExtractedEntity]:
    """One article's entities with the given kinds; names that now coincide are merged."""
    merged: dict[tuple[str, str], ExtractedEntity] = {}
    for e in entities:
        kind = kinds.get(e.key, e.kind)
        if (kind, e.key) in merged:
            into = merged[(kind, e.key)]
            into.offsets = union_offsets(into.offsets, e.offsets)
            into.abbreviations = sorted({*into.abbreviations, *e.abbreviations})
        else:
            merged[(kind, e.key)] = ExtractedEntity(
                kind, e.name, e.key, list(e.offsets), list(e.abbreviations)
            )
    return list(merged.values())
