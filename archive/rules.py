"""What curation teaches extraction, read from the database.

Curated entities (renamed, reclassified or merged by a curator) are recognized by name and by
alias before the statistical model runs, and always get their curated kind and name; blocked
names are dropped. Callers load the rules once per run and hand them to
`archive.extraction.use_rules`.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError

from archive.entity_kinds import KIND_LABELS
from archive.extraction import NO_RULES, Rules, use_rules
from archive.models import BlockedName, Entity
from archive.names import normalize_key

logger = logging.getLogger(__name__)


def load_rules() -> Rules:
    try:
        return _read_rules()
    except DatabaseError as exc:
        # A dry run (extract_entities) may run before the database exists; it has no curation.
        logger.warning("No curation applied to extraction: %s", exc)
        return NO_RULES


def _read_rules() -> Rules:
    patterns: set[tuple[str, str]] = set()
    canonical: dict[str, tuple[str, str, str]] = {}
    curated = Entity.objects.filter(curated=True).values_list("kind", "name", "key", "aliases")
    for kind, name, key, aliases in curated.iterator():
        for alias in [name, *aliases]:
            alias_key = normalize_key(alias)
            if alias_key:
                patterns.add((KIND_LABELS[kind], alias))
                canonical.setdefault(alias_key, (kind, name, key))
    blocked = frozenset(BlockedName.objects.values_list("kind", "key"))
    return Rules(tuple(sorted(patterns)), canonical, blocked)


def apply_curation() -> Rules:
    """Load the current rules and make this process's extraction follow them."""
    rules = load_rules()
    use_rules(rules)
    return rules
