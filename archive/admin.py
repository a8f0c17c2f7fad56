"""The curators' admin: entities (rename, reclassify, merge, detach, block, duplicates) and
articles (their entities inline, re-extract, re-index). The changes themselves live in
archive/curation.py; this module only wires them to forms, actions and messages."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from archive import admin_intake, curation
from archive.curation_tasks import curate_later
from archive.duplicates import fuller_name, suggest_duplicates
from archive.jobs import reextract_later
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
from archive.permissions import ActionsNeedPermission
from archive.signals import articles_changed


class MentionForm(forms.ModelForm):
    """A mention, with its entity's kind editable from the article's page."""

    kind = forms.ChoiceField(
        choices=EntityKind.choices,
        required=False,
        help_text="Changing the kind re-files this entity in every article that names it.",
    )

    class Meta:
        model = Mention
        fields = ["entity", "count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].initial = self.instance.entity.kind

    def save(self, commit=True):
        mention = super().save(commit=commit)
        kind = self.cleaned_data.get("kind")
        if kind and kind != mention.entity.kind:
            mention.entity = curation.reclassify_entity(mention.entity, kind)
        return mention


class MentionInline(admin.TabularInline):
    model = Mention
    form = MentionForm
    extra = 0
    autocomplete_fields = ["entity"]
    fields = ["entity", "kind", "count"]
    verbose_name = "entity named in this article"
    verbose_name_plural = "entities named in this article"


@admin.register(Article)
class ArticleAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["title", "source", "published", "entity_count", "extracted_at"]
    list_filter = ["source", ("published", admin.DateFieldListFilter), "extraction_model"]
    search_fields = ["title", "url", "author", "source"]
    date_hierarchy = "published"
    readonly_fields = ["content_hash", "origin", "imported_at", "extracted_at", "extraction_model"]
    inlines = [MentionInline]
    actions = ["reextract", "reindex"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entity_count=Count("mentions"))

    @admin.display(ordering="entity_count", description="entities")
    def entity_count(self, article):
        return article.entity_count

    def save_formset(self, request, form, formset, change):
        if formset.model is not Mention:
            return super().save_formset(request, form, formset, change)
        article = form.instance
        removed = [f.instance.entity for f in formset.deleted_forms if f.instance.pk]
        refiled = [
            f
            for f in formset.forms
            if f.instance.pk and "kind" in f.changed_data and f not in formset.deleted_forms
        ]
        super().save_formset(request, form, formset, change)
        # Corrections of this one article outlast re-extraction.
        for entity in removed:
            curation.correct_article(article, entity, removed=True, user=request.user)
        for mention in formset.new_objects:
            curation.correct_article(article, mention.entity, removed=False, user=request.user)
        if removed or formset.new_objects:
            names = [f"removed {e.name}" for e in removed]
            names += [f"added {m.entity.name}" for m in formset.new_objects]
            self.log_change(request, article, "; ".join(names) + " (kept through re-extraction).")
        for f in refiled:
            entity = f.instance.entity
            count = entity.mentions.count()
            self.message_user(
                request,
                f"{entity.name} is now filed as {entity.get_kind_display().lower()} in all "
                f"{count} article{'s' if count != 1 else ''} that name it.",
                messages.INFO,
            )

    @admin.action(
        description="Re-extract entities (with the current curation)", permissions=["change"]
    )
    def reextract(self, request, queryset):
        # In the worker, one process: very large batches belong to reextract_entities.
        ids = list(queryset.values_list("pk", flat=True))
        reextract_later.enqueue(ids)
        for article in queryset:
            self.log_change(request, article, "Queued a re-extraction of its entities.")
        self.message_user(
            request,
            f"Queued the re-extraction of {len(ids)} article{'s' * (len(ids) != 1)}; "
            "the background worker runs it.",
        )

    @admin.action(description="Re-index in search", permissions=["change"])
    def reindex(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        articles_changed.send(sender=Article, ids=ids)
        self.message_user(request, f"Re-indexed {len(ids)} articles.")


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(
        queryset=Entity.objects.none(), widget=forms.RadioSelect, empty_label=None
    )

    def __init__(self, entities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = entities
        self.fields["survivor"].initial = fuller_name(list(entities)).pk
        self.fields["survivor"].label_from_instance = _with_count


def _with_count(entity: Entity) -> str:
    count = getattr(entity, "article_count", None)
    if count is None:
        count = entity.mentions.count()
    kind = entity.get_kind_display().lower()
    return f"{entity.name} ({kind}, {count} article{'s' if count != 1 else ''})"


class EntityForm(forms.ModelForm):
    """Names checked before anything is saved; aliases one a line."""

    aliases = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Other names of this entity, one a line; extraction files them under it.",
    )

    class Meta:
        model = Entity
        fields = ["name", "kind", "aliases"]
        help_texts = {
            "name": "A name another entity of the same kind already has merges the two.",
            "kind": "An entity of the new kind with the same name absorbs this one.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["aliases"] = "\n".join(self.instance.aliases)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not normalize_key(name):
            raise ValidationError("A name needs letters or digits.")
        return name

    def clean_aliases(self) -> list[str]:
        aliases, seen = [], set()
        for line in self.cleaned_data["aliases"].splitlines():
            alias = " ".join(line.split())
            if not alias:
                continue
            key = normalize_key(alias)
            if not key:
                raise ValidationError(f"{alias!r} is not a name: it needs letters or digits.")
            if len(alias) > 300:
                raise ValidationError(f"An alias is longer than 300 characters: {alias[:40]}…")
            if key not in seen:
                seen.add(key)
                aliases.append(alias)
        return aliases

    def clean(self):
        cleaned = super().clean()
        name, kind = cleaned.get("name"), cleaned.get("kind")
        if self.instance.pk is None and name and kind:
            twin = Entity.objects.filter(kind=kind, key=normalize_key(name)).first()
            if twin:
                url = reverse("admin:archive_entity_change", args=[twin.pk])
                raise ValidationError(
                    format_html(
                        '{} is already in the archive as a {}: <a href="{}">open {}</a>.',
                        name,
                        twin.get_kind_display().lower(),
                        url,
                        twin.name,
                    )
                )
        aliases = cleaned.get("aliases") or []
        if name:
            cleaned["aliases"] = [a for a in aliases if normalize_key(a) != normalize_key(name)]
        return cleaned


@admin.register(Entity)
class EntityAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["name", "kind", "alias_list", "article_count", "curated"]
    list_filter = ["kind", "curated"]
    search_fields = ["name", "key", "aliases"]
    ordering = ["name"]
    form = EntityForm
    fields = ["name", "kind", "aliases", "curated"]
    readonly_fields = ["curated"]
    actions = ["merge", "detach_everywhere", "block"]
    change_list_template = "admin/archive/entity/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("mentions"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_curate": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(ordering="article_count", description="articles")
    def article_count(self, entity):
        return entity.article_count

    @admin.display(description="aliases")
    def alias_list(self, entity):
        return ", ".join(entity.aliases)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.curated = True
            super().save_model(request, obj, form, change)
            return
        stored = Entity.objects.get(pk=obj.pk)
        stored.aliases, stored.curated = obj.aliases, True
        stored.save()
        entity = stored
        try:
            if obj.name != stored.name:
                entity = curation.rename_entity(entity, obj.name, user=request.user)
            if obj.kind != entity.kind:
                entity = curation.reclassify_entity(entity, obj.kind, user=request.user)
        except curation.CurationError as error:
            self.message_user(request, str(error), messages.ERROR)
        if entity.pk != obj.pk:
            self.message_user(
                request, f"{obj.name!r} was already an entity: merged into {entity}.", messages.INFO
            )
        obj.pk, obj.name, obj.kind = entity.pk, entity.name, entity.kind

    @admin.action(description="Merge selected entities into one…", permissions=["change"])
    def merge(self, request, queryset):
        if queryset.count() < 2:
            self.message_user(request, "Select two or more entities to merge.", messages.WARNING)
            return None
        form = MergeForm(queryset, request.POST if "apply" in request.POST else None)
        if form.is_valid():
            survivor = form.cleaned_data["survivor"]
            others = [e for e in queryset if e.pk != survivor.pk]
            names = ", ".join(e.name for e in others)
            if curation.needs_worker(queryset):
                text = f"Merging {names} into {survivor.name}"
                return self._queue(request, text, "merge", [*others, survivor], survivor)
            records = curation.merge_entities(survivor, others, user=request.user)
            self.log_change(request, survivor, f"Merged {names} into it.")
            self.message_user(request, merged_message(request, records, names, survivor.name))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge entities",
            "opts": self.model._meta,
            "form": form,
            "entities": queryset,
            "action_name": "merge",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/entity/merge.html", context)

    @admin.action(
        description="Remove selected entities from all their articles", permissions=["change"]
    )
    def detach_everywhere(self, request, queryset):
        if curation.needs_worker(queryset):
            names = ", ".join(e.name for e in queryset)
            text = f"Removing {names} from all their articles"
            return self._queue(request, text, "detach", list(queryset))
        total = 0
        for entity in queryset:
            total += curation.detach_entity(entity)
            self.log_change(request, entity, "Removed from all articles.")
        self.message_user(request, detached_message(queryset.count(), total))
        return None

    @admin.action(
        description="Block selected names: remove them and never extract them again",
        permissions=["delete"],
    )
    def block(self, request, queryset):
        entities = list(queryset)
        effects = curation.block_effects(entities)
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Block names",
                "opts": self.model._meta,
                "rows": [(e, effects.get(e.pk, 0)) for e in entities],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/archive/entity/block.html", context)
        names = ", ".join(e.name for e in entities)
        if curation.needs_worker(entities):
            return self._queue(request, f"Blocking {names}", "block", entities)
        self.log_deletions(request, queryset)
        blocked = [curation.block_entity(entity, user=request.user) for entity in entities]
        articles = sum(effects.values())
        message = blocked_message(request, [b.pk for b in blocked], names, articles)
        self.message_user(request, message)
        return None

    def _queue(self, request, text: str, action: str, entities: list[Entity], survivor=None):
        """Hand a large curation to the worker and show the curator its progress page."""
        result = curate_later.enqueue(
            action, [e.pk for e in entities], request.user.pk, survivor.pk if survivor else None
        )
        for entity in entities:
            self.log_change(request, entity, f"{text} (queued for the background worker).")
        if result.is_finished:  # a backend that runs tasks as they are queued
            failed = result.status == TaskResultStatus.FAILED
            level = messages.ERROR if failed else messages.SUCCESS
            self.message_user(request, curation_outcome(request, result), level)
            return HttpResponseRedirect(reverse("admin:archive_entity_changelist"))
        self.message_user(request, f"{text} in the background: it touches many articles.")
        return HttpResponseRedirect(reverse("admin:archive_entity_curation", args=[result.id]))

    def curation_view(self, request, task_id: str):
        """A queued curation's progress, and its outcome (with its undo) once done."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            result = curate_later.get_result(task_id)
        except (TaskResultDoesNotExist, ValidationError, ValueError):
            raise Http404("No such curation.") from None
        done = result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
        context = {
            **self.admin_site.each_context(request),
            "title": "Curation in the background",
            "opts": self.model._meta,
            "result": result,
            "done": done,
            "outcome": curation_outcome(request, result) if done else "",
        }
        return TemplateResponse(request, "admin/archive/entity/curation.html", context)

    # Suggested duplicates

    def get_urls(self):
        view = self.admin_site.admin_view(self.duplicates_view)
        progress = self.admin_site.admin_view(self.curation_view)
        return [
            path("duplicates/", view, name="archive_entity_duplicates"),
            path("curation/<str:task_id>/", progress, name="archive_entity_curation"),
            *super().get_urls(),
        ]

    def duplicates_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._decide_pair(request)
        term = request.GET.get("q", "").strip()[:100]
        suggestions = suggest_duplicates(contains=term)
        page = Paginator(suggestions, 50).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Suggested duplicates",
            "opts": self.model._meta,
            "page": page,
            "term": term,
            "total": len(suggestions),
        }
        return TemplateResponse(request, "admin/archive/entity/duplicates.html", context)

    def _decide_pair(self, request):
        first = get_object_or_404(Entity, pk=request.POST.get("first"))
        second = get_object_or_404(Entity, pk=request.POST.get("second"))
        if "merge" in request.POST:
            survivor = {str(first.pk): first, str(second.pk): second}.get(
                request.POST.get("survivor", "")
            )
            if survivor is None:
                self.message_user(request, "Choose which entity to keep.", messages.ERROR)
            else:
                other = second if survivor is first else first
                if curation.needs_worker([first, second]):
                    text = f"Merging {other.name} into {survivor.name}"
                    return self._queue(request, text, "merge", [other, survivor], survivor)
                records = curation.merge_entities(survivor, [other], user=request.user)
                self.log_change(request, survivor, f"Merged {other.name} into it.")
                message = merged_message(request, records, other.name, survivor.name)
                self.message_user(request, message)
        else:
            curation.dismiss_pair(first, second, user=request.user)
            self.message_user(request, f"{first.name} and {second.name} stay apart.")
        back = reverse("admin:archive_entity_duplicates")
        query = request.POST.get("back", "")
        return HttpResponseRedirect(back + ("?" + query if query else ""))


@admin.register(ArticleCorrection)
class ArticleCorrectionAdmin(admin.ModelAdmin):
    """The audit of per-article corrections; deleting one lets extraction decide again."""

    list_display = ["name", "kind", "removed", "article", "created_by", "created_at"]
    list_filter = ["kind", "removed"]
    search_fields = ["name", "article__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BlockedName)
class BlockedNameAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["name", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "key"]
    fields = ["name", "kind"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            blocked = curation.block_name(obj.name, obj.kind, user=request.user)
            obj.pk = blocked.pk

    actions = ["unblock"]

    @admin.action(
        description="Unblock selected names and give back what blocking took",
        permissions=["delete"],
    )
    def unblock(self, request, queryset):
        self._unblock(request, list(queryset))

    def _unblock(self, request, names: list[BlockedName]) -> None:
        for blocked in names:
            restored = curation.unblock(blocked)
            back = ", ".join(e.name for e in restored) or "nothing to give back"
            self.message_user(request, f"Unblocked {blocked.name}: {back}.")

    def get_urls(self):
        unblock = self.admin_site.admin_view(self.unblock_view)
        return [path("unblock/", unblock, name="archive_blockedname_unblock"), *super().get_urls()]

    def unblock_view(self, request):
        """What unblocking gives back (GET), and unblocking (POST)."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()]
        names = list(BlockedName.objects.filter(pk__in=ids))
        if request.method == "POST" and names:
            self._unblock(request, names)
            return HttpResponseRedirect(reverse("admin:archive_entity_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Undo blocking",
            "opts": self.model._meta,
            "names": [(b, [(i["name"], len(i["mentions"])) for i in b.removed]) for b in names],
        }
        return TemplateResponse(request, "admin/archive/blockedname/unblock.html", context)


def undo_url(record_ids) -> str:
    return reverse("admin:archive_mergerecord_undo") + "?ids=" + ",".join(map(str, record_ids))


def detached_message(entities: int, mentions: int) -> str:
    return f"Removed {entities} entities from {mentions} mentions."


def blocked_message(request, blocked_ids: list[int], names: str, articles: int):
    """ "Blocked …", with a link that undoes it for a curator who may."""
    text = f"Blocked {names}: taken out of {articles} article{'s' * (articles != 1)}."
    if not request.user.has_perm("archive.delete_blockedname"):
        return text
    ids = ",".join(map(str, blocked_ids))
    link = reverse("admin:archive_blockedname_unblock") + "?ids=" + ids
    return format_html('{} <a href="{}">Undo</a>', text, link)


def curation_outcome(request, result) -> str:
    """What a finished background curation did, as its message would have said it."""
    if result.status == TaskResultStatus.FAILED:
        last = result.errors[-1] if result.errors else None
        if last and last.exception_class_path.endswith("CurationError"):
            reason = last.traceback.strip().splitlines()[-1].split(": ", 1)[-1]
        else:
            reason = "an error in the worker (its log has the details)"
        return f"It did not finish: {reason}"
    done = result.return_value
    if done["action"] == "merge":
        records = list(MergeRecord.objects.filter(pk__in=done["records"]))
        return merged_message(request, records, done["names"], done["survivor"])
    if done["action"] == "detach":
        return detached_message(done["count"], done["mentions"])
    return blocked_message(request, done["blocked"], done["names"], done["articles"])


def merged_message(request, records: list[MergeRecord], names: str, survivor: str):
    """ "Merged … into …", with a link that undoes it for a curator who may."""
    if not records or not request.user.has_perm("archive.delete_mergerecord"):
        return f"Merged {names} into {survivor}."
    link = undo_url(r.pk for r in records)
    return format_html('Merged {} into {}. <a href="{}">Undo</a>', names, survivor, link)


@admin.register(MergeRecord)
class MergeRecordAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["old_name", "old_kind", "survivor", "articles_moved", "merged_by", "merged_at"]
    list_filter = ["old_kind"]
    search_fields = ["old_name", "survivor__name"]
    readonly_fields = [
        "old_id",
        "old_name",
        "old_kind",
        "old_aliases",
        "survivor",
        "moved_articles",
        "merged_by",
        "merged_at",
    ]
    exclude = ["mentions", "old_curated"]
    actions = ["undo"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="articles moved")
    def articles_moved(self, record):
        return len(record.mentions)

    @admin.display(description="articles the merge moved")
    def moved_articles(self, record):
        titles = dict(
            Article.objects.filter(pk__in=[m[0] for m in record.mentions]).values_list(
                "pk", "title"
            )
        )
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:archive_article_change", args=[pk]), t) for pk, t in titles.items()),
        )

    @admin.action(description="Undo selected merges", permissions=["delete"])
    def undo(self, request, queryset):
        self._undo(request, list(queryset))

    def _undo(self, request, records: list[MergeRecord]) -> list[Entity]:
        restored = []
        for record in records:
            try:
                entity = curation.undo_merge(record)
            except curation.CurationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.log_addition(request, entity, f"Restored from a merge into {record.survivor}.")
            self.message_user(request, f"Restored {entity.name}.")
            restored.append(entity)
        return restored

    def get_urls(self):
        undo = self.admin_site.admin_view(self.undo_view)
        return [path("undo/", undo, name="archive_mergerecord_undo"), *super().get_urls()]

    def undo_view(self, request):
        """What undoing these merges gives back (GET), and undoing them (POST)."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()]
        records = list(MergeRecord.objects.filter(pk__in=ids).select_related("survivor"))
        if request.method == "POST" and records:
            restored = self._undo(request, records)
            if len(restored) == 1:
                return HttpResponseRedirect(
                    reverse("admin:archive_entity_change", args=[restored[0].pk])
                )
            return HttpResponseRedirect(reverse("admin:archive_entity_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Undo merge",
            "opts": self.model._meta,
            "records": records,
        }
        return TemplateResponse(request, "admin/archive/mergerecord/undo.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"undo_url": undo_url([object_id])} if self.has_delete_permission(request) else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(DismissedPair)
class DismissedPairAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["first", "second", "dismissed_by", "dismissed_at"]
    search_fields = ["first__name", "second__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


__all__ = ["admin_intake"]  # registered there: imports, feeds, API tokens
