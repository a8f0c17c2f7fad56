"""The admin's ways in: import jobs (upload files or paste URLs, watch them run, cancel),
feeds to poll, and API tokens. The work itself lives in archive/jobs.py, archive/feeds.py
and archive/access.py."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from archive import access, jobs
from archive.feeds import poll_feed
from archive.fetching import clean_url_lines
from archive.importers import SUPPORTED_SUFFIXES, format_of
from archive.models import ApiToken, Feed, FeedEntry, ImportJob
from archive.permissions import ActionsNeedPermission


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented recipe for one field taking several files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(
        required=False,
        help_text=f"{', '.join(sorted(SUPPORTED_SUFFIXES))}, each also gzipped (.gz).",
    )
    urls = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        label="URLs",
        help_text="Pages to fetch, one address a line.",
    )

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        unreadable = [f.name for f in files if format_of(Path(f.name)) is None]
        if unreadable:
            raise forms.ValidationError(
                f"Not a format the import reads: {', '.join(unreadable[:5])}. "
                f"Use {', '.join(sorted(SUPPORTED_SUFFIXES))} (or the same gzipped)."
            )
        if sum(f.size for f in files) > settings.MAX_IMPORT_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"Together the files are larger than "
                f"{settings.MAX_IMPORT_UPLOAD_BYTES // (1024 * 1024)} MB; import them with "
                "manage.py import_articles instead."
            )
        return files

    def clean_urls(self) -> list[str]:
        urls, bad = clean_url_lines(self.cleaned_data["urls"])
        if bad:
            raise forms.ValidationError("; ".join(str(b) for b in bad[:5]))
        return urls

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("files") and not data.get("urls"):
            raise forms.ValidationError("Choose files to upload or paste URLs.")
        return data


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "status",
        "records_read",
        "imported",
        "duplicates",
        "bad_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]

    def get_urls(self):
        own = [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="archive_importjob_cancel",
            )
        ]
        return own + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = jobs.start_import(
                user=request.user,
                files=form.cleaned_data["files"],
                urls=form.cleaned_data["urls"],
            )
            self.log_addition(request, job, "Started the import.")
            return redirect("admin:archive_importjob_change", job.pk)
        return self._page(
            request, "admin/archive/importjob/import.html", "Import articles", form=form
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=object_id)
        return self._page(
            request,
            "admin/archive/importjob/progress.html",
            str(job),
            job=job,
            original=job,
            can_cancel=self.has_change_permission(request, job) and not job.finished,
        )

    def cancel_view(self, request, pk: int):
        job = get_object_or_404(ImportJob, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, job):
            raise PermissionDenied
        jobs.cancel(job)
        self.log_change(request, job, "Cancelled the import.")
        messages.info(request, "Cancelling: the import stops after the batch it is storing.")
        return redirect("admin:archive_importjob_change", job.pk)

    def _page(self, request, template: str, title: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                **context,
            },
        )


class FeedEntryInline(admin.TabularInline):
    model = FeedEntry
    fields = ["url", "article", "error", "fetched_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article")


@admin.register(Feed)
class FeedAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = [
        "__str__",
        "active",
        "interval_minutes",
        "last_success_at",
        "failures",
        "short_error",
        "next_poll_at",
    ]
    list_filter = ["active"]
    search_fields = ["url", "title"]
    fields = ["url", "title", "active", "interval_minutes", "next_poll_at"]
    readonly_fields = ["last_polled_at", "last_success_at", "failures", "last_error"]
    inlines = [FeedEntryInline]
    actions = ["poll_now"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fields(self, request, obj=None):
        return self.fields + (self.readonly_fields if obj else [])

    @admin.display(description="last error")
    def short_error(self, feed: Feed) -> str:
        return feed.last_error[:120]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Poll the selected feeds now", permissions=["change"])
    def poll_now(self, request, queryset):
        feeds = list(queryset.filter(active=True))
        for feed in feeds:
            poll_feed.enqueue(feed.pk)
        self.message_user(request, f"Queued a poll of {len(feeds)} active feed(s).")


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ActionsNeedPermission, admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    form = ApiTokenForm
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        # A token is created, used and revoked; it is never edited.
        return False

    def save_model(self, request, obj, form, change):
        token, secret = access.create_token(obj.user, obj.name)
        obj.pk = token.pk
        messages.warning(
            request,
            f"The token for {token.user}: {secret} . Copy it now: it is not shown again. "
            "Scripts send it as 'Authorization: Bearer <token>'.",
        )

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:archive_apitoken_changelist"))

    def log_addition(self, request, obj, message):
        obj.refresh_from_db()
        return super().log_addition(request, obj, message)

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        count = access.revoke(queryset)
        self.message_user(request, f"Revoked {count} token(s); they stop working at once.")
