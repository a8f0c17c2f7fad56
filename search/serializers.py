"""JSON shapes of articles, entities and searches, shared by the API and the exports."""

from __future__ import annotations

from archive.models import Article, Entity
from search.facets import FACETS
from search.network import entity_profile
from search.query import FacetPage, SearchOutcome


def entity_refs(article: Article) -> dict[str, list[dict]]:
    grouped = article.entities_by_kind()
    return {kind: [{"id": e.pk, "name": e.name} for e in grouped[kind]] for kind in grouped}


def article_summary(article: Article, snippet: str = "") -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "snippet": str(snippet),
        **entity_refs(article),
    }


def article_detail(article: Article) -> dict:
    data = article_summary(article)
    data.update(
        author=article.author,
        language=article.language,
        body=article.body,
        mentions=[
            {"entity": m.entity_id, "count": m.count, "offsets": m.offsets}
            for m in article.mentions.all()
        ],
    )
    return data


def entity_detail(entity: Entity) -> dict:
    profile = entity_profile(entity)
    return {
        "id": entity.pk,
        "kind": entity.kind,
        "name": entity.name,
        "aliases": entity.aliases,
        "articles": len(profile.articles),
        "timeline": [
            {"month": row["month"].isoformat()[:7], "count": row["count"]}
            for row in profile.timeline
        ],
        "related": [
            {"id": c.entity.pk, "name": c.entity.name, "kind": c.entity.kind, "shared": c.count}
            for c in profile.connections
        ],
    }


def search_response(outcome: SearchOutcome) -> dict:
    facets = {
        facet.name: [value.as_dict() for value in outcome.facets[facet.name].values]
        for facet in FACETS
    }
    facets["date"] = [
        {"start": row.start.isoformat(), "count": row.count, "unit": row.unit}
        for row in outcome.dates
        if not row.gap  # a run of empty bars the chart leaves out
    ]
    return {
        "count": outcome.count,
        "page": outcome.params.page,
        "pages": outcome.pages,
        "suggestion": outcome.suggestion,
        "results": [article_summary(a, outcome.snippets.get(a.pk, "")) for a in outcome.articles],
        "facets": facets,
        "more": [facet.name for facet in FACETS if outcome.facets[facet.name].more],
    }


def facet_page_response(page: FacetPage) -> dict:
    return {
        "facet": page.column.facet.name,
        "contains": page.contains,
        "offset": page.offset,
        "total": page.total,
        "more": page.column.more,
        "values": [
            {**value.as_dict(), "select_url": value.select_url, "exclude_url": value.exclude_url}
            for value in page.column.values
        ],
    }
