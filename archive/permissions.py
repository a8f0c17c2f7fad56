"""The two groups staff accounts go into: curators change entities, import articles and keep
feeds; viewers only look. API tokens are left to superusers."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

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


class ActionsNeedPermission:
    """Actions are offered only to users with the permission they declare, and a POST of an
    action the user may not run (a forged form) is refused with 403 instead of ignored."""

    def changelist_view(self, request, extra_context=None):
        action = request.POST.get("action") if request.method == "POST" else None
        declared = {*(self.actions or ()), "delete_selected"}
        if action in declared and action not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)
