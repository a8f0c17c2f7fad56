from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

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
            "entities_by_kind": article.entities_by_kind(),
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
