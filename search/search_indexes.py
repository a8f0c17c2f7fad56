from haystack import indexes

from archive.models import Article, EntityKind
from search.keys import source_key


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    """Articles, with entity ids (not names) as facets so any name, and any rename, is safe."""

    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title", boost=2.0)
    published = indexes.DateTimeField(model_attr="published", null=True)
    source = indexes.CharField(null=True)
    person = indexes.MultiValueField()
    place = indexes.MultiValueField()
    organization = indexes.MultiValueField()

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        return Article.objects.with_entities().order_by("pk")

    def prepare_text(self, article: Article) -> str:
        return f"{article.title}\n{article.body}"

    def prepare_source(self, article: Article) -> str | None:
        return source_key(article.source) if article.source else None

    def prepare_person(self, article: Article) -> list[str]:
        return entity_ids(article, EntityKind.PERSON)

    def prepare_place(self, article: Article) -> list[str]:
        return entity_ids(article, EntityKind.PLACE)

    def prepare_organization(self, article: Article) -> list[str]:
        return entity_ids(article, EntityKind.ORGANIZATION)


def entity_ids(article: Article, kind: str) -> list[str]:
    # mentions are prefetched with their entities by index_queryset
    return [str(m.entity_id) for m in article.mentions.all() if m.entity.kind == kind]
