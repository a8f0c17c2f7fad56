from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from archive.curation import survivor_of
from archive.markup import marked_body
from archive.models import Article, Entity
from search.network import NEW_CONNECTION_DAYS, connections_of


def article_detail(request, pk: int):
    article = get_object_or_404(Article.objects.with_entities(), pk=pk)
    return render(
        request,
        "archive/article_detail.html",
        {
            "article": article,
            "body_html": marked_body(article),
            "entities_by_kind": article.entities_by_kind(),
            **_way_back(request),
        },
    )


def _way_back(request) -> dict:
    """Links back to the search the reader came from (passed along as `?search=`)."""
    came_from = QueryDict(request.GET.get("search", "")[:4000])
    search = came_from.urlencode()
    return {
        "search_url": reverse("search:search") + ("?" + search if search else ""),
        "search_suffix": "?" + urlencode({"search": search}) if search else "",
    }


def entity_detail(request, pk: int):
    entity = Entity.objects.filter(pk=pk).first()
    if entity is None:
        # A merged entity's links and bookmarks lead to the entity it was merged into.
        survivor = survivor_of(pk)
        if survivor is None:
            raise Http404("No such entity.")
        return redirect("archive:entity", pk=survivor, permanent=True)
    articles = entity.articles.order_by("-published", "-id")
    page = Paginator(articles, 20).get_page(request.GET.get("page"))
    timeline = entity.timeline()
    connections, new_connections = connections_of(entity)
    peak = max((row["count"] for row in timeline), default=0)
    return render(
        request,
        "archive/entity_detail.html",
        {
            "entity": entity,
            "page": page,
            "timeline": [{**row, "percent": round(100 * row["count"] / peak)} for row in timeline],
            "connections": connections,
            "new_connections": new_connections,
            "new_connection_days": NEW_CONNECTION_DAYS,
            "articles_search_url": reverse("search:search")
            + "?"
            + urlencode({entity.kind: entity.pk}),
            **_way_back(request),
        },
    )
