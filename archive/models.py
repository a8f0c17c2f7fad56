from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Count
from django.db.models.base import ModelState
from django.urls import reverse

from archive.entity_kinds import EntityKind
from archive.names import normalize_key


class ArticleQuerySet(models.QuerySet):
    def needing_extraction(self) -> ArticleQuerySet:
        return self.filter(extracted_at__isnull=True)

    def with_entities(self) -> ArticleQuerySet:
        # One joined query; a separate entity prefetch would send thousands of ids to SQLite.
        return self.prefetch_related(
            models.Prefetch("mentions", queryset=Mention.objects.select_related("entity"))
        )


class EntityQuerySet(models.QuerySet):
    def named_like(self, term: str, kind: str | None = None) -> EntityQuerySet:
        """Entities whose name or alias contains `term`; accents, case and punctuation aside
        ("Zurich" finds "Zürich")."""
        entities = self.filter(kind=kind) if kind else self
        if term:
            found = models.Q(name__icontains=term) | models.Q(aliases__icontains=term)
            if key := normalize_key(term):
                found |= models.Q(key__contains=key)
            entities = entities.filter(found)
        return entities

    def search_names(self, term: str, kind: str | None = None) -> EntityQuerySet:
        """`named_like`, most written about first."""
        entities = self.named_like(term, kind)
        return entities.annotate(article_count=Count("mentions")).order_by("-article_count", "name")


class Article(models.Model):
    title = models.CharField(max_length=500)
    body = models.TextField()
    url = models.URLField(max_length=2000, null=True, blank=True, unique=True)
    source = models.CharField(max_length=200, blank=True, db_index=True)
    author = models.CharField(max_length=300, blank=True)
    published = models.DateTimeField(null=True, blank=True, db_index=True)
    language = models.CharField(max_length=16, blank=True)
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    origin = models.CharField(
        max_length=1000, blank=True, help_text="The file (and line) the article was imported from."
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
    extraction_model = models.CharField(max_length=100, blank=True)
    import_job = models.ForeignKey(
        "ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )

    entities = models.ManyToManyField("Entity", through="Mention", related_name="articles")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The hash is derived from the body so that edits keep de-duplication honest.
        from archive.text import content_hash

        self.content_hash = content_hash(self.body)
        if not self.url:
            self.url = None
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("archive:article", args=[self.pk])

    def entities_by_kind(self) -> dict[str, list[Entity]]:
        """The article's entities grouped by kind, most mentioned first."""
        grouped: dict[str, list[Entity]] = {kind: [] for kind in EntityKind.values}
        mentions = sorted(self.mentions.all(), key=lambda m: (-m.count, m.entity.name))
        for mention in mentions:
            grouped[mention.entity.kind].append(mention.entity)
        return grouped


class Entity(models.Model):
    kind = models.CharField(max_length=12, choices=EntityKind.choices, db_index=True)
    name = models.CharField(max_length=300)
    key = models.CharField(
        max_length=300, editable=False, help_text="Normalized name, unique per kind."
    )
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other names of this entity; extraction maps them here."
    )
    curated = models.BooleanField(
        default=False,
        help_text="A curator confirmed this name and kind; extraction recognizes it first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="entity_unique_key_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    def save(self, *args, **kwargs) -> None:
        self.key = normalize_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("search:entity", args=[self.pk])


class Mention(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions")
    count = models.PositiveIntegerField(default=1)
    offsets = models.JSONField(
        default=list, blank=True, help_text="[start, end] character offsets in the body."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "entity"], name="mention_unique_per_article")
        ]
        indexes = [models.Index(fields=["entity", "article"])]

    def __str__(self) -> str:
        return f"{self.entity} in {self.article_id}"


class BlockedName(models.Model):
    """A name extraction must never turn into an entity (of one kind, or of any)."""

    name = models.CharField(max_length=300)
    key = models.CharField(max_length=300, editable=False)
    kind = models.CharField(
        max_length=12, choices=EntityKind.choices, blank=True, help_text="Empty: every kind."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="What blocking removed, for undo: [{id, name, kind, aliases, curated, "
        "mentions: [[article, count, offsets]]}].",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["key", "kind"], name="blocked_name_unique_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower() or 'any kind'})"

    def save(self, *args, **kwargs) -> None:
        self.key = normalize_key(self.name)
        super().save(*args, **kwargs)


class MergeRecord(models.Model):
    """An entity merged into another: where its links lead now, and what the merge moved."""

    old_id = models.PositiveBigIntegerField(unique=True)
    old_name = models.CharField(max_length=300)
    old_kind = models.CharField(max_length=12, choices=EntityKind.choices)
    old_aliases = models.JSONField(default=list, blank=True)
    old_curated = models.BooleanField(default=False)
    survivor = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="merged_from")
    mentions = models.JSONField(
        default=list,
        help_text="What moved: [article, count, offsets, survivor already named there].",
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.old_name} → {self.survivor.name}"


class DismissedPair(models.Model):
    """Two entities a curator said are not the same, so they are not suggested again."""

    first = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="dismissed_pair_unique")
        ]

    def __str__(self) -> str:
        return f"{self.first} ≠ {self.second}"


class ArticleCorrection(models.Model):
    """A curator's correction to one article's entities, which re-extraction keeps: an entity
    removed from the article stays out of it, one added stays in it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=12, choices=EntityKind.choices)
    key = models.CharField(max_length=300)
    name = models.CharField(max_length=300)
    removed = models.BooleanField(help_text="Removed from the article (else: added to it).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "kind", "key"], name="correction_unique_per_article"
            )
        ]

    def __str__(self) -> str:
        verb = "removed from" if self.removed else "added to"
        return f"{self.name} ({self.get_kind_display().lower()}) {verb} article {self.article_id}"


class ImportJob(models.Model):
    """Files uploaded or URLs pasted in the admin, imported in the background by a task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    FINISHED = [Status.DONE, Status.FAILED, Status.CANCELLED]

    label = models.CharField(max_length=300)
    folder = models.CharField(max_length=1000, blank=True, help_text="Where the uploads wait.")
    urls = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    records_read = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Records that are not articles.")
    bad_count = models.PositiveIntegerField(default=0)
    bad_records = models.JSONField(default=list, blank=True, help_text="The first reasons.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.label}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class Feed(models.Model):
    """An RSS or Atom feed the archive polls; each new entry's page becomes an article."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    interval_minutes = models.PositiveIntegerField(default=60)
    etag = models.CharField(max_length=300, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]

    def __str__(self) -> str:
        return self.title or self.url


class FeedEntry(models.Model):
    """An entry's page the archive fetched once, with what became of it."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    url = models.URLField(max_length=2000)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL)
    error = models.TextField(blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fetched_at"]
        verbose_name_plural = "feed entries"
        constraints = [models.UniqueConstraint(fields=["feed", "url"], name="feed_entry_once")]

    def __str__(self) -> str:
        return self.url


class ApiToken(models.Model):
    """A script's key to the API as one user; only its digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100, help_text="What the token is for.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def attach_entity_names(articles: list[Article]) -> None:
    """Give each article `mentions.all()` holding its mentions with their entities' names and
    kinds (offsets and aliases load only if read). For result pages and indexing: one query of
    plain rows costs a fraction of a prefetch that builds every mention and entity through
    the ORM."""
    rows = (
        Mention.objects.filter(article_id__in=[a.pk for a in articles])
        .order_by("pk")
        .values_list("pk", "article_id", "count", "entity_id", "entity__name", "entity__kind")
    )
    entities: dict[int, Entity] = {}
    mentions: dict[int, list[Mention]] = {}
    for pk, article_id, count, entity_id, name, kind in rows:
        entity = entities.get(entity_id)
        if entity is None:
            entity = _loaded(Entity, {"id": entity_id, "kind": kind, "name": name})
            entities[entity_id] = entity
        mention = _loaded(
            Mention, {"id": pk, "article_id": article_id, "entity_id": entity_id, "count": count}
        )
        mention._state.fields_cache["entity"] = entity
        mentions.setdefault(article_id, []).append(mention)
    for article in articles:
        # What prefetch_related leaves behind: an evaluated related queryset.
        queryset = article.mentions.all()
        queryset._result_cache = mentions.get(article.pk, [])
        queryset._prefetch_done = True
        article._prefetched_objects_cache = {"mentions": queryset}


def _loaded(model: type[models.Model], values: dict) -> models.Model:
    """An instance as the database returned it with only these fields; the others are
    deferred (loaded when read), as with QuerySet.only(). Model.__init__ and from_db cost
    ten times more, and a result page builds about a thousand of these."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    instance.__dict__.update(values)
    return instance


class SignInFailure(models.Model):
    """Failed sign-ins for one user name or one address (archive/signin_throttle.py)."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
