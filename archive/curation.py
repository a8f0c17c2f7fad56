"""What curators do to entities: rename, reclassify, merge, detach, block, and undo a merge.

Every change lands in one transaction, and the articles it touched are re-indexed when it
commits, so search follows at once. The admin calls these functions; so can a shell or a script.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q

from archive.extraction import ExtractedEntity, union_offsets
from archive.models import (
    Article,
    ArticleCorrection,
    BlockedName,
    DismissedPair,
    Entity,
    EntityKind,
    Mention,
    MergeRecord,
)
from archive.names import normalize_key
from archive.signals import articles_changed


class CurationError(ValueError):
    """A change that cannot be made; the message says why, for the curator."""


# A merge, removal or block touching more mentions than this runs in the worker
# (archive/curation_tasks.py): the most named entities have tens of thousands, which takes
# seconds, and a curator's click answers within one. A typical entity's takes well under.
BACKGROUND_MENTIONS = 5000


def needs_worker(entities: Iterable[Entity]) -> bool:
    """Whether changing these entities is too large a change for the curator's request."""
    return Mention.objects.filter(entity__in=list(entities)).count() > BACKGROUND_MENTIONS


def _announce(article_ids: Iterable[int]) -> None:
    # Only for changes to an entity itself: saving or deleting a Mention already re-indexes
    # its article when the transaction commits (search/signals.py); so does this.
    ids = sorted(set(article_ids))
    if ids:
        articles_changed.send(sender=Article, ids=ids, edit=True)


def _article_ids(entity: Entity) -> list[int]:
    return list(entity.mentions.values_list("article_id", flat=True))


def _add_aliases(entity: Entity, names: Iterable[str]) -> None:
    known = {normalize_key(entity.name), *map(normalize_key, entity.aliases)}
    for name in names:
        key = normalize_key(name)
        if key and key not in known:
            entity.aliases.append(name)
            known.add(key)


@transaction.atomic
def merge_entities(
    survivor: Entity, others: Iterable[Entity], user=None, *, curate: bool = True
) -> list[MergeRecord]:
    """Fold `others` into `survivor`: their mentions move over, their names become aliases,
    and their old ids keep leading to the survivor. A curator's merge (`curate`) marks the
    survivor curated; one the archive makes itself (an abbreviation) does not."""
    survivor = Entity.objects.select_for_update().get(pk=survivor.pk)
    records = []
    for other in others:
        if other.pk == survivor.pk:
            continue
        other = Entity.objects.get(pk=other.pk)
        moved = []
        mentions = list(other.mentions.all())
        # The survivor's mentions in the same articles, in one query rather than one each.
        shared = {
            m.article_id: m
            for m in survivor.mentions.filter(article_id__in=[m.article_id for m in mentions])
        }
        to_move, joined, folded = [], [], []
        for mention in mentions:
            target = shared.get(mention.article_id)
            moved.append([mention.article_id, mention.count, mention.offsets, target is not None])
            if target:
                target.count += mention.count
                target.offsets = union_offsets(target.offsets, mention.offsets)
                joined.append(target)
                folded.append(mention.pk)
            else:
                to_move.append(mention.pk)
        # In bulk, not a save per mention: a much-named entity has thousands, and the
        # articles are announced once below (the curator's click answers in under a second).
        Mention.objects.filter(pk__in=to_move).update(entity=survivor)
        Mention.objects.bulk_update(joined, ["count", "offsets"])
        _quietly_delete(Mention.objects.filter(pk__in=folded))
        _announce(m[0] for m in moved)
        _add_aliases(survivor, [other.name, *other.aliases])
        # Links to entities merged into `other` earlier now lead to the survivor too.
        MergeRecord.objects.filter(survivor=other).update(survivor=survivor)
        records.append(
            MergeRecord.objects.create(
                old_id=other.pk,
                old_name=other.name,
                old_kind=other.kind,
                old_aliases=other.aliases,
                old_curated=other.curated,
                survivor=survivor,
                mentions=moved,
                merged_by=user,
            )
        )
        other.delete()
    survivor.curated = survivor.curated or curate
    survivor.save()
    return records


@transaction.atomic
def undo_merge(record: MergeRecord) -> Entity:
    """Bring a merged entity back under its old id, with the mentions the merge moved."""
    survivor = record.survivor
    if Entity.objects.filter(kind=record.old_kind, key=normalize_key(record.old_name)).exists():
        raise CurationError(
            f"An entity named {record.old_name!r} exists again; merge or rename it first."
        )
    restored = Entity(
        pk=record.old_id,
        kind=record.old_kind,
        name=record.old_name,
        aliases=record.old_aliases,
        curated=record.old_curated,
    )
    restored.save()
    for article_id, count, offsets, survivor_was_there in record.mentions:
        mention = Mention.objects.filter(article_id=article_id, entity=survivor).first()
        if mention is None:
            continue  # the article, or its mention, is gone since
        if survivor_was_there:
            mention.count = max(mention.count - count, 1)
            moved = set(map(tuple, offsets))
            mention.offsets = [o for o in mention.offsets if tuple(o) not in moved]
            mention.save(update_fields=["count", "offsets"])
            Mention.objects.create(
                article_id=article_id, entity=restored, count=count, offsets=offsets
            )
        else:
            mention.entity = restored
            mention.save(update_fields=["entity"])
    gone = {normalize_key(n) for n in [record.old_name, *record.old_aliases]}
    survivor.aliases = [a for a in survivor.aliases if normalize_key(a) not in gone]
    survivor.save()
    record.delete()
    return restored


@transaction.atomic
def rename_entity(entity: Entity, name: str, user=None) -> Entity:
    """Give the entity a new name; the old one becomes an alias. A name another entity of
    the same kind already has merges the two (that entity survives)."""
    cleaned = " ".join(name.split())
    if not normalize_key(cleaned):
        raise CurationError(f"{name!r} is not a name.")
    twin = Entity.objects.filter(kind=entity.kind, key=normalize_key(cleaned)).exclude(pk=entity.pk)
    if twin.exists():
        survivor = twin.get()
        merge_entities(survivor, [entity], user=user)
        survivor.refresh_from_db()
        return survivor
    old = entity.name
    entity.name = cleaned
    _add_aliases(entity, [old])
    # An alias that is now the name itself is no longer another name.
    new_key = normalize_key(cleaned)
    entity.aliases = [a for a in entity.aliases if normalize_key(a) != new_key]
    entity.curated = True
    entity.save()
    return entity


@transaction.atomic
def reclassify_entity(entity: Entity, kind: str, user=None) -> Entity:
    """File the entity under another kind; an entity of that kind with the same name absorbs it."""
    if kind not in EntityKind.values:
        raise CurationError(f"{kind!r} is not a kind of entity.")
    if kind == entity.kind:
        return entity
    twin = Entity.objects.filter(kind=kind, key=entity.key).exclude(pk=entity.pk).first()
    if twin:
        merge_entities(twin, [entity], user=user)
        twin.refresh_from_db()
        return twin
    entity.kind = kind
    entity.curated = True
    entity.save()
    _announce(_article_ids(entity))
    return entity


@transaction.atomic
def detach_entity(entity: Entity, articles: Iterable[Article] | None = None) -> int:
    """Remove the entity from these articles (from all when None); returns how many."""
    mentions = entity.mentions.all()
    if articles is not None:
        mentions = mentions.filter(article__in=list(articles))
    affected = list(mentions.values_list("article_id", flat=True))
    removed = _quietly_delete(mentions)
    _announce(affected)
    return removed


def _quietly_delete(mentions) -> int:
    """Delete mentions in one statement, without a signal each (nothing points at a mention;
    the caller announces their articles once)."""
    return mentions._raw_delete(mentions.db)


@transaction.atomic
def block_name(name: str, kind: str = "", user=None) -> BlockedName:
    """Never extract this name (as this kind, or as any when kind is ""); entities already
    filed under it leave every article and the archive."""
    key = normalize_key(name)
    if not key:
        raise CurationError(f"{name!r} is not a name.")
    blocked = BlockedName.objects.filter(key=key, kind=kind).first()
    if blocked is None:
        blocked = BlockedName(name=" ".join(name.split()), kind=kind, created_by=user)
    entities = Entity.objects.filter(key=key)
    entities = list(entities.filter(kind=kind) if kind else entities)
    # Kept so that `unblock` can give back what blocking took.
    blocked.removed = [*blocked.removed, *(_snapshot(entity) for entity in entities)]
    blocked.save()
    for entity in entities:
        detach_entity(entity)
        entity.delete()
    return blocked


def _snapshot(entity: Entity) -> dict:
    return {
        "id": entity.pk,
        "name": entity.name,
        "kind": entity.kind,
        "aliases": entity.aliases,
        "curated": entity.curated,
        "mentions": [
            list(m) for m in entity.mentions.values_list("article_id", "count", "offsets")
        ],
    }


def block_effects(entities: Iterable[Entity]) -> dict[int, int]:
    """How many articles blocking each entity would take it out of."""
    counts = Mention.objects.filter(entity__in=list(entities)).values_list("entity_id")
    return dict(counts.annotate(n=Count("article_id", distinct=True)).values_list("entity_id", "n"))


@transaction.atomic
def unblock(blocked: BlockedName) -> list[Entity]:
    """Let the name be extracted again and give back the entities and mentions blocking it
    removed (in the articles that still exist; an entity of that name and kind made since
    takes the mentions instead)."""
    restored = []
    for item in blocked.removed:
        entity = Entity.objects.filter(kind=item["kind"], key=normalize_key(item["name"])).first()
        if entity is None:
            free = not Entity.objects.filter(pk=item["id"]).exists()
            entity = Entity(
                pk=item["id"] if free else None,
                name=item["name"],
                kind=item["kind"],
                aliases=item["aliases"],
                curated=item["curated"],
            )
            entity.save()
        mentions = {article: (count, offsets) for article, count, offsets in item["mentions"]}
        live = set(Article.objects.filter(pk__in=mentions).values_list("pk", flat=True))
        live -= set(entity.mentions.values_list("article_id", flat=True))
        Mention.objects.bulk_create(
            Mention(article_id=a, entity=entity, count=mentions[a][0], offsets=mentions[a][1])
            for a in sorted(live)
        )
        _announce(live)  # bulk_create sends no signals
        restored.append(entity)
    blocked.delete()
    return restored


def block_entity(entity: Entity, user=None) -> BlockedName:
    """Never extract this entity's name as its kind again."""
    return block_name(entity.name, entity.kind, user=user)


def correct_article(article: Article, entity: Entity, *, removed: bool, user=None) -> None:
    """Record that a curator removed this entity from (or added it to) this one article,
    so that re-extraction keeps the article so."""
    ArticleCorrection.objects.update_or_create(
        article=article,
        kind=entity.kind,
        key=entity.key,
        defaults={"name": entity.name, "removed": removed, "created_by": user},
    )


def apply_corrections(
    per_article: list[tuple[Article, list[ExtractedEntity]]],
) -> list[tuple[Article, list[ExtractedEntity]]]:
    """Extracted entities with the curators' per-article corrections applied."""
    corrections: dict[int, list[ArticleCorrection]] = {}
    articles = [article.pk for article, _ in per_article]
    for correction in ArticleCorrection.objects.filter(article_id__in=articles):
        corrections.setdefault(correction.article_id, []).append(correction)
    corrected = []
    for article, entities in per_article:
        own = corrections.get(article.pk, [])
        removed = {(c.kind, c.key) for c in own if c.removed}
        kept = [e for e in entities if (e.kind, e.key) not in removed]
        present = {(e.kind, e.key) for e in kept}
        kept += [
            ExtractedEntity(c.kind, c.name, c.key)
            for c in own
            if not c.removed and (c.kind, c.key) not in present
        ]
        corrected.append((article, kept))
    return corrected


def resolve_entity_ids(ids: Iterable[int]) -> dict[int, int]:
    """Where each id leads now: merged entities lead to their survivors."""
    ids = set(ids)
    moved = dict(MergeRecord.objects.filter(old_id__in=ids).values_list("old_id", "survivor_id"))
    return {pk: moved.get(pk, pk) for pk in ids}


def survivor_of(entity_id: int) -> int | None:
    """The entity a merged entity's id leads to now, or None if it was never merged."""
    records = MergeRecord.objects.filter(old_id=entity_id)
    return records.values_list("survivor_id", flat=True).first()


def dismiss_pair(first: Entity, second: Entity, user=None) -> None:
    low, high = sorted([first, second], key=lambda e: e.pk)
    DismissedPair.objects.get_or_create(first=low, second=high, defaults={"dismissed_by": user})


def dismissed_pairs(ids: Iterable[int]) -> set[tuple[int, int]]:
    ids = list(ids)
    rows = DismissedPair.objects.filter(Q(first__in=ids) | Q(second__in=ids))
    return set(rows.values_list("first_id", "second_id"))
