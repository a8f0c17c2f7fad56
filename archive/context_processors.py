from archive.entity_kinds import EntityKind


def entity_kinds(request) -> dict:
    """The kinds of entity, for the pages' legends and the stylesheet's kind rules."""
    return {"entity_kinds": list(EntityKind)}
