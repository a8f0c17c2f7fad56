from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from archive.entity_kinds import EntityKind
from archive.markup import marked_body, marker_for
from archive.models import Article


def article_detail(request, pk: int):
    article = get_object_or_404(Article.objects.with_entities(), pk=pk)
    back = way_back(request)
    words = QueryDict(request.GET.get("search", "")[:4000]).get("q", "")
    body_html, hits = marked_body(article, back["search_suffix"], marker_for(words))
    return render(
        request,
        "archive/article_detail.html",
        {
            "article": article,
            "body_html": body_html,
            "hits": hits,
            "words": words,
            "entity_groups": [
                (EntityKind(kind).facts.plural, entities)
                for kind, entities in article.entities_by_kind().items()
            ],
            **back,
        },
    )


def way_back(request) -> dict:
    """Links back to the search the reader came from (passed along as `?search=`)."""
    came_from = QueryDict(request.GET.get("search", "")[:4000])
    search = came_from.urlencode()
    return {
        "search_url": reverse("search:search") + ("?" + search if search else ""),
        "search_suffix": "?" + urlencode({"search": search}) if search else "",
    }
