"""Likely duplicate entities for curators to merge or dismiss.

Pairs are of one kind and are suggested when their keys (already case- and accent-folded)
are close in spelling ("balakliya" / "balaklia"), when one is the other with initials
("j smith" / "john smith"), or when one is the surname of the other ("zelensky" /
"volodymyr zelensky"). Only the most written-about entities of each kind are compared, so the
page stays fast on a large archive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count
from rapidfuzz import fuzz, process

from archive.curation import dismissed_pairs
from archive.models import Entity, EntityKind

SIMILARITY = 85.0  # rapidfuzz ratio, 0-100
MAX_PER_KIND = 2000


@dataclass(frozen=True)
class Suggestion:
    first: Entity
    second: Entity
    reason: str

    @property
    def survivor(self) -> Entity:
        """The better-known of the two, which a one-click merge keeps."""
        return max((self.first, self.second), key=lambda e: (e.article_count, len(e.name), -e.pk))

    @property
    def other(self) -> Entity:
        return self.second if self.survivor is self.first else self.first


def _initials_match(short: list[str], long: list[str]) -> bool:
    if len(short) != len(long) or short == long:
        return False
    return all(
        a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
        for a, b in zip(short, long, strict=True)
    )


def _reason(a: Entity, b: Entity, score: float) -> str | None:
    wa, wb = a.key.split(), b.key.split()
    if a.kind == EntityKind.PERSON:
        if len(wa) == 1 and len(wb) > 1 and wb[-1] == wa[0]:
            return "surname of a full name"
        if len(wb) == 1 and len(wa) > 1 and wa[-1] == wb[0]:
            return "surname of a full name"
        if _initials_match(wa, wb):
            return "initials"
    if score >= SIMILARITY:
        return f"similar spelling ({score:.0f}%)"
    return None


def suggest_duplicates(limit: int = 100) -> list[Suggestion]:
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
        if kind == EntityKind.PERSON:
            for group in by_surname.values():
                candidates |= {(i, j) for i in group for j in group if i < j}
        for i, j in sorted(candidates):
            a, b = entities[i], entities[j]
            if (min(a.pk, b.pk), max(a.pk, b.pk)) in dismissed:
                continue
            reason = _reason(a, b, float(scores[i, j]))
            if reason:
                suggestions.append(Suggestion(a, b, reason))
    suggestions.sort(key=lambda s: -(s.first.article_count + s.second.article_count))
    return suggestions[:limit]
