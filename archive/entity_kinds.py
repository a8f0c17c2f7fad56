"""The kinds of entity the archive files, each kind's facts written once: the entity model's
labels, the facet registry (search/facets.py), the templates and the stylesheet (the kind
rules base.html writes) all read them from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class EntityKind(models.TextChoices):
    PERSON = "person", "Person"
    PLACE = "place", "Place"
    ORGANIZATION = "organization", "Organization"

    @property
    def facts(self) -> KindFacts:
        return KIND_FACTS[self]


@dataclass(frozen=True)
class KindFacts:
    # The facet's heading ("People") and the entity model's label for the kind.
    plural: str
    model_label: str
    # The model's other labels filed under this kind (a facility is a place).
    other_labels: tuple[str, ...]
    # How the pages show it: chips and marked names, the line under a marked name (kinds
    # differ by more than colour), and the network's circles.
    background: str
    underline: str
    node: str


KIND_FACTS: dict[EntityKind, KindFacts] = {
    EntityKind.PERSON: KindFacts("People", "PERSON", (), "#fde7d9", "solid", "#d9773a"),
    EntityKind.PLACE: KindFacts("Places", "GPE", ("LOC", "FAC"), "#dff3e4", "dashed", "#2f9e6e"),
    EntityKind.ORGANIZATION: KindFacts("Organizations", "ORG", (), "#e3e8fd", "dotted", "#4a63d4"),
}
# Kind -> the model's label for it, and every model label the archive files -> its kind.
KIND_LABELS: dict[str, str] = {kind.value: facts.model_label for kind, facts in KIND_FACTS.items()}
LABEL_KINDS: dict[str, str] = {
    label: kind.value
    for kind, facts in KIND_FACTS.items()
    for label in (facts.model_label, *facts.other_labels)
}
