from django.contrib import admin
from django.db.models import Count

from archive.models import Article, Entity, Mention


class MentionInline(admin.TabularInline):
    model = Mention
    extra = 0
    autocomplete_fields = ["entity"]
    fields = ["entity", "count"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "published", "extracted_at"]
    list_filter = ["source", ("published", admin.DateFieldListFilter)]
    search_fields = ["title", "url", "author"]
    date_hierarchy = "published"
    readonly_fields = ["content_hash", "origin", "imported_at", "extracted_at", "extraction_model"]
    inlines = [MentionInline]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "article_count"]
    list_filter = ["kind"]
    search_fields = ["name", "key", "aliases"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("mentions"))

    @admin.display(ordering="article_count", description="articles")
    def article_count(self, entity):
        return entity.article_count
