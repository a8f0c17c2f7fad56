from haystack import indexes

from archive.models import Article
from search.facets import FACETS


class _ArticleFields(indexes.SearchIndex):
    """Articles, with entity ids (not names) as facets so any name, and any rename, is safe."""

    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title", boost=2.0)
    published = indexes.DateTimeField(model_attr="published", null=True)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        return Article.objects.with_entities().order_by("pk")

    def prepare_text(self, article: Article) -> str:
        return f"{article.title}\n{article.body}"

    def prepare(self, article: Article) -> dict:
        data = super().prepare(article)
        for facet in FACETS:
            data[facet.name] = facet.index_values(article)
        return data


# One multi-valued field per facet of the registry (Haystack reads fields from the class).
ArticleIndex = type(
    "ArticleIndex",
    (_ArticleFields, indexes.Indexable),
    {
        "__module__": __name__,
        **{facet.name: indexes.MultiValueField(null=True) for facet in FACETS},
    },
)
