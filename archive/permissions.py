"""The two groups staff accounts go into: curators change entities, import articles and keep
feeds; viewers only look. API tokens are left to superusers."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

CURATORS = "Curators"
VIEWERS = "Viewers"
_CURATED_MODELS = [
    "entity",
    "mention",
    "blockedname",
    "mergerecord",
    "dismissedpair",
    "articlecorrection",
    "importjob",
    "feed",
    "feedentry",
]


def ensure_groups(**kwargs) -> None:
    """Create or update both groups; runs after every migrate."""
    archive = Permission.objects.filter(content_type__app_label="archive")
    # API tokens are the administrators' business alone.
    viewing = archive.filter(codename__startswith="view_").exclude(codename="view_apitoken")
    curating = archive.filter(
        content_type__model__in=_CURATED_MODELS,
    ) | archive.filter(codename__in=["view_article", "change_article"])
    Group.objects.get_or_create(name=VIEWERS)[0].permissions.set(viewing)
    Group.objects.get_or_create(name=CURATORS)[0].permissions.set(curating)
