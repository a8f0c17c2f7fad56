"""Curation too large for a request (see curation.BACKGROUND_MENTIONS), run by the worker on
the curation lane. Each task returns what the curator's status page reports when it is done."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from archive import curation
from archive.models import Entity

ACTIONS = ("merge", "detach", "block")


def _entities(ids: list[int]) -> list[Entity]:
    found = list(Entity.objects.filter(pk__in=ids).order_by("pk"))
    if not found:
        # Merged, removed or blocked by someone else while this waited in the queue.
        raise curation.CurationError("The selected entities no longer exist; nothing was changed.")
    return found


@task(queue_name="curation")
def curate_later(
    action: str, entity_ids: list[int], user_id: int | None = None, survivor_id: int | None = None
) -> dict:
    """Merge `entity_ids` into `survivor_id`, remove them from all their articles, or block
    them, as the curator `user_id`; returns a summary for the status page."""
    if action not in ACTIONS:
        raise curation.CurationError(f"{action!r} is not a curation the worker runs.")
    user = get_user_model().objects.filter(pk=user_id).first()
    if action == "merge":
        survivor = Entity.objects.filter(pk=survivor_id).first()
        if survivor is None:
            raise curation.CurationError("The entity to keep no longer exists; nothing merged.")
        others = [e for e in _entities(entity_ids) if e.pk != survivor.pk]
        records = curation.merge_entities(survivor, others, user=user)
        return {
            "action": action,
            "names": ", ".join(e.name for e in others),
            "survivor": survivor.name,
            "records": [r.pk for r in records],
        }
    entities = _entities(entity_ids)
    names = ", ".join(e.name for e in entities)
    if action == "detach":
        removed = sum(curation.detach_entity(entity) for entity in entities)
        return {"action": action, "names": names, "count": len(entities), "mentions": removed}
    articles = sum(curation.block_effects(entities).values())
    blocked = [curation.block_entity(entity, user=user) for entity in entities]
    blocked_ids = [b.pk for b in blocked]
    return {"action": action, "names": names, "articles": articles, "blocked": blocked_ids}
