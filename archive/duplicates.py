"""Likely duplicate entities for curators to merge or dismiss.

Pairs are of one kind and are suggested when:
* one is the abbreviation of the other ("EC" / "European Community", "IMF", "SEC") and some
  article names both (so "Exxon Corp" is not offered for "EC");
* one is the other with initials ("j smith" / "john smith");
* one is the surname of the other ("zelensky" / "volodymyr zelensky"), unless the archive
  holds two people with that surname ("Reagan" could be Ronald or Nancy);
* their keys (already case- and accent-folded) differ by a typo in one word
  ("balakliya" / "balaklia"). Names differing by a whole word ("North America" / "South
  America", "Donald Regan" / "Ronald Reagan"), two places the gazetteer knows apart
  ("Australia" / "Austria"), and short names ("GATT" / "ATT") are never spelling variants.
Only the most written-about entities of each kind are compared, so the page stays fast on a
large archive. A merge keeps the one with more articles by default, unless the other is the
fuller name of the same thing (the long form, the full name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count
from rapidfuzz import fuzz, process

from archive.curation import dismissed_pairs
from archive.gazetteer import known_place
from archive.models import Entity, EntityKind, Mention
from archive.names import abbreviation, initials, normalize_key

SIMILARITY = 85.0  # rapidfuzz ratio, 0-100, of two names' keys
WORD_SIMILARITY = 80.0  # of the one word in which two names of several words differ
ONE_WORD_SIMILARITY = 90.0  # of one-word names ("Ireland" / "Iceland" are 86)
MIN_TYPO_LENGTH = 5  # shorter names differ by a letter and are different things ("GATT")
MAX_PER_KIND = 2000
# Reasons for which the fuller name is the same thing written out, so a merge keeps it.
FULLER_IS_SAME = frozenset({"abbreviation", "initials", "surname of a full name"})


@dataclass(frozen=True)
class Suggestion:
    first: Entity
    second: Entity
    reason: str

    @property
    def survivor(self) -> Entity:
        """The one a merge keeps unless the curator picks the other: the more written-about,
        unless the other is the fuller name of the same thing ("European Community" over
        "EC", "Ronald Reagan" over "Reagan")."""
        if self.reason in FULLER_IS_SAME:
            return fuller_name([self.first, self.second])
        return max(
            (self.first, self.second),
            key=lambda e: (getattr(e, "article_count", 0), len(e.key), -e.pk),
        )

    @property
    def other(self) -> Entity:
        return self.second if self.survivor is self.first else self.first

    @property
    def first_and_second(self) -> tuple[Entity, Entity]:
        return (self.first, self.second)


def fuller_name(entities: list[Entity]) -> Entity:
    """The entity with the fullest name ("Ronald Reagan" over "Reagan", "Balakliya" over
    "Balaklia"); ties go to the more written-about, then the older."""

    def fullness(e: Entity):
        count = getattr(e, "article_count", 0)
        return (len(e.key.split()), len(e.key), count, -e.pk)

    return max(entities, key=fullness)


def _initials_match(short: list[str], long: list[str]) -> bool:
    if len(short) != len(long) or short == long:
        return False
    return all(
        a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
        for a, b in zip(short, long, strict=True)
    )


def _typo(a: Entity, b: Entity, score: float) -> bool:
    """Two spellings of one name: a typo in one word, not two different things."""
    wa, wb = a.key.split(), b.key.split()
    if len(wa) != len(wb) or min(len(a.key), len(b.key)) < MIN_TYPO_LENGTH:
        return False
    if len(wa) == 1:
        # "Austria" and "Australia" are both on the map: two places, not two spellings.
        both_mapped = a.kind == EntityKind.PLACE and known_place(a.key) and known_place(b.key)
        return score >= ONE_WORD_SIMILARITY and not both_mapped
    differing = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
    return len(differing) == 1 and fuzz.ratio(*differing[0]) >= WORD_SIMILARITY


def _reason(a: Entity, b: Entity, score: float) -> str | None:
    wa, wb = a.key.split(), b.key.split()
    if a.kind != EntityKind.PERSON and (abbreviation(a.key, b.key) or abbreviation(b.key, a.key)):
        return "abbreviation"
    if a.kind == EntityKind.PERSON:
        if len(wa) == 1 and len(wb) > 1 and wb[-1] == wa[0]:
            return "surname of a full name"
        if len(wb) == 1 and len(wa) > 1 and wa[-1] == wb[0]:
            return "surname of a full name"
        if _initials_match(wa, wb):
            return "initials"
    if score >= SIMILARITY and _typo(a, b, score):
        return f"similar spelling ({score:.0f}%)"
    return None


def _named_together(entities: list[Entity], pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs (of indexes into `entities`) of one-word and longer names that some
    article names both."""
    wanted = [(i, j) for i, j in pairs if (" " in entities[i].key) != (" " in entities[j].key)]
    ids = {entities[k].pk for pair in wanted for k in pair}
    articles: dict[int, set[int]] = {}
    rows = Mention.objects.filter(entity_id__in=ids).values_list("entity_id", "article_id")
    for entity_id, article_id in rows:
        articles.setdefault(entity_id, set()).add(article_id)
    return {
        (i, j)
        for i, j in wanted
        if articles.get(entities[i].pk, set()) & articles.get(entities[j].pk, set())
    }


def suggest_duplicates(contains: str = "") -> list[Suggestion]:
    """Every likely pair, the most written-about first; with `contains`, only pairs where
    either name contains it (accents and case aside)."""
    wanted = normalize_key(contains)
    suggestions: list[Suggestion] = []
    for kind in EntityKind.values:
        entities = list(
            Entity.objects.filter(kind=kind)
            .annotate(article_count=Count("mentions"))
            .order_by("-article_count", "pk")[:MAX_PER_KIND]
        )
        if len(entities) < 2:
            continue
        keys = [e.key for e in entities]
        dismissed = dismissed_pairs(e.pk for e in entities)
        scores = process.cdist(keys, keys, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
        by_surname: dict[str, list[int]] = {}
        for i, e in enumerate(entities):
            by_surname.setdefault(e.key.split()[-1], []).append(i)
        candidates = {(i, j) for i, j in np.argwhere(scores >= SIMILARITY).tolist() if i < j}
        if kind != EntityKind.PERSON:
            by_initials: dict[str, list[int]] = {}
            for i, e in enumerate(entities):
                for short in initials(e.key):
                    by_initials.setdefault(short, []).append(i)
            for i, e in enumerate(entities):
                for j in by_initials.get(e.key, ()):
                    candidates.add((min(i, j), max(i, j)))
        if kind == EntityKind.PERSON:
            for group in by_surname.values():
                full = {i for i in group if " " in entities[i].key}
                # A lone surname is offered to a full name only if no other person has it.
                candidates |= {
                    (i, j)
                    for i in group
                    for j in group
                    if i < j and (len(full) < 2 or (i in full) == (j in full))
                }
        together = _named_together(entities, candidates)
        for i, j in sorted(candidates):
            a, b = entities[i], entities[j]
            if (min(a.pk, b.pk), max(a.pk, b.pk)) in dismissed:
                continue
            if wanted and wanted not in a.key and wanted not in b.key:
                continue
            reason = _reason(a, b, float(scores[i, j]))
            # "EC" abbreviates "European Community" and "Exxon Corp" alike: an abbreviation
            # is offered only for a long form some article names beside it.
            if reason == "abbreviation" and (i, j) not in together:
                continue
            if reason:
                suggestions.append(Suggestion(a, b, reason))
    suggestions.sort(key=lambda s: -(s.first.article_count + s.second.article_count))
    return suggestions
