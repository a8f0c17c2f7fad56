import hashlib

from haystack import indexes

from archive.models import Article
from search.facets import FACETS

DIGEST_FIELD = "digest"


class _ArticleFields(indexes.SearchIndex):
    """Articles, with entity ids (not names) as facets so any name, and any rename, is safe."""

    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title", boost=2.0)
    published = indexes.DateTimeField(model_attr="published", null=True)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        # The backend attaches each batch's entities (archive.models.attach_entity_names).
        return Article.objects.order_by("pk")

    def prepare_text(self, article: Article) -> str:
        return f"{article.title}\n{article.body}"

    def prepare(self, article: Article) -> dict:
        data = super().prepare(article)
        for facet in FACETS:
            data[facet.name] = facet.index_values(article)
        data[DIGEST_FIELD] = content_digest(article)
        return data


def content_digest(article: Article) -> str:
    """What the index holds of an article, in 16 bytes: its text, date and every facet's
    values. check_index compares it with the database's (search/consistency.py)."""
    digest = hashlib.blake2b(digest_size=16)
    published = article.published.isoformat() if article.published else ""
    for part in (article.title, article.body, published):
        digest.update(part.encode("utf-8", "replace") + b"\0")
    for facet in FACETS:
        values = sorted(facet.index_values(article))
        digest.update(f"{facet.name}:{','.join(values)}\0".encode())
    return digest.hexdigest()


# One multi-valued field per facet of the registry (Haystack reads fields from the class).
ArticleIndex = type(
    "ArticleIndex",
    (_ArticleFields, indexes.Indexable),
    {
        "__module__": __name__,
        **{facet.name: indexes.MultiValueField(null=True) for facet in FACETS},
    },
)
