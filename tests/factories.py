"""Small builders for test data: articles with the entities they name."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.extraction import ExtractedEntity
from archive.importers import RawArticle
from archive.ingest import store_articles
from archive.models import Article
from archive.names import normalize_key
from archive.text import content_hash


def make_article(
    title: str = "Port strike ends",
    body: str | None = None,
    *,
    person: tuple[str, ...] = (),
    place: tuple[str, ...] = (),
    organization: tuple[str, ...] = (),
    source: str = "Harbor Gazette",
    published: str | None = "2025-01-14",
    url: str | None = None,
) -> Article:
    """Store one article through the import path (so it is indexed too) and return it."""
    names = {"person": person, "place": place, "organization": organization}
    body = body or f"{title}. " + " ".join(n for group in names.values() for n in group) + "."
    when = datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None
    raw = RawArticle(origin="test", title=title, body=body, url=url, source=source, published=when)
    entities = [
        ExtractedEntity(kind, name, normalize_key(name), [])
        for kind, group in names.items()
        for name in group
    ]
    (pk,), _ = store_articles([(raw, content_hash(body), entities)])
    return Article.objects.get(pk=pk)


def article_form(article: Article, **changes) -> dict:
    """What the admin's article page posts back unchanged (its mentions as inline rows), with
    `changes` applied; `mentions-N-...` keys edit or delete single rows."""
    mentions = list(article.mentions.select_related("entity").order_by("pk"))
    data = {
        "title": article.title,
        "body": article.body,
        "source": article.source,
        "mentions-TOTAL_FORMS": len(mentions),
        "mentions-INITIAL_FORMS": len(mentions),
        "mentions-MIN_NUM_FORMS": 0,
        "mentions-MAX_NUM_FORMS": 1000,
    }
    if article.published:
        data |= {
            "published_0": article.published.date().isoformat(),
            "published_1": article.published.time().isoformat(),
        }
    for i, m in enumerate(mentions):
        data |= {
            f"mentions-{i}-id": m.pk,
            f"mentions-{i}-article": article.pk,
            f"mentions-{i}-entity": m.entity_id,
            f"mentions-{i}-kind": m.entity.kind,
            f"mentions-{i}-count": m.count,
        }
    return data | changes
