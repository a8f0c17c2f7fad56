"""What readers keep: saved searches with their feeds and mail, and entity alerts.

"New" is measured in article ids: an article is new to a saved search when its id is above
the mark the search keeps (ids only grow as articles are stored).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

from archive.models import Entity


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class SavedSearch(models.Model):
    class Digest(models.TextChoices):
        NONE = "", "no e-mail"
        IMMEDIATE = "immediate", "as new articles arrive"
        DAILY = "daily", "daily digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=200)
    query = models.CharField(max_length=4000, help_text="The search's URL query string.")
    digest = models.CharField(max_length=10, choices=Digest.choices, blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Articles above this id are the search's "new" ones: its feed lists them.
    created_after_id = models.BigIntegerField(default=0)
    seen_up_to_id = models.BigIntegerField(default=0)  # at the reader's last visit
    mailed_up_to_id = models.BigIntegerField(default=0)
    last_mailed_at = models.DateTimeField(null=True, blank=True)
    # A worker sending this search's mail holds it until then (search/alerts.py).
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "saved searches"

    def __str__(self) -> str:
        return self.name

    def search_url(self) -> str:
        return reverse("search:search") + "?" + self.query

    def get_feed_url(self) -> str:
        return reverse("search:saved-feed", args=[self.feed_token])


class EntityAlert(models.Model):
    """Mail when a new article names an entity, or when two entities are first named together."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entity_alerts"
    )
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    mailed_up_to_id = models.BigIntegerField(default=0)
    fired_at = models.DateTimeField(null=True, blank=True, help_text="For a pair: when it fired.")
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "entity", "partner"], name="one_alert_per_entity_pair"
            )
        ]

    def __str__(self) -> str:
        if self.partner_id:
            return f"{self.entity} and {self.partner} named together for the first time"
        return f"a new article names {self.entity}"


class PendingIndexChange(models.Model):
    """An article whose change the index has not taken yet: written in the transaction of the
    edit, removed once the index has it (search/signals.py). A process killed between the
    commit and the index write, or an index locked longer than an edit can wait, leaves the
    row, and the worker's clock replays it; nobody has to run check_index."""

    article_id = models.BigIntegerField(unique=True)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"article {self.article_id} since {self.changed_at:%Y-%m-%d %H:%M:%S}"
