from django.contrib import admin

from search.models import EntityAlert, SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "digest", "created_at", "last_mailed_at"]
    list_filter = ["digest"]
    search_fields = ["name", "user__username"]
    fields = ["user", "name", "query", "digest"]


@admin.register(EntityAlert)
class EntityAlertAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "created_at", "fired_at"]
    raw_id_fields = ["entity", "partner"]
    fields = ["user", "entity", "partner"]
