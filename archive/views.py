from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from archive.markup import marked_body
from archive.models import Article


def article_detail(request, pk: int):
    article = get_object_or_404(Article.objects.with_entities(), pk=pk)
    return render(
        request,
        "archive/article_detail.html",
        {
            "article": article,
            "body_html": marked_body(article),
            "entities_by_kind": article.entities_by_kind(),
            **way_back(request),
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
