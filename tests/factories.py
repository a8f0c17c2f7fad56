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
