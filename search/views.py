from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from archive.curation import survivor_of
from archive.models import Article, Entity
from search import serializers
from search.exports import csv_lines, jsonl_lines
from search.facets import ENTITY_FACETS, BadParameter, facet_named, is_whole_number
from search.query import FacetPage, facet_values_page, parse_params, run_search

FACET_PAGE_SIZE = 100


@require_GET
def search_page(request):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return render(request, "search/search.html", {"error": str(error)}, status=400)
    outcome = run_search(params)
    return render(request, "search/search.html", {"outcome": outcome, "params": params})


@require_GET
def facet_page(request, facet: str):
    """Every value of one facet in the current results, searchable by name."""
    try:
        page = _facet_values(request, facet)
    except BadParameter as error:
        return render(request, "search/facet.html", {"error": str(error)}, status=400)
    return render(request, "search/facet.html", {"page": page, "params": page.column.params})


def _facet_values(request, facet: str) -> FacetPage:
    params = parse_params(request.GET)
    offset = request.GET.get("offset", "0")
    if not is_whole_number(offset):
        raise BadParameter(f"'offset' is a whole number, not {offset[:20]!r}.")
    contains = request.GET.get("contains", "").strip()[:100]
    return facet_values_page(
        params, facet_named(facet), contains, int(offset), limit=FACET_PAGE_SIZE
    )


def _bad_request(error: Exception) -> JsonResponse:
    return JsonResponse({"error": str(error)}, status=400)


@require_GET
def api_search(request):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return _bad_request(error)
    return JsonResponse(serializers.search_response(run_search(params)))


@require_GET
def api_article(request, pk: int):
    article = get_object_or_404(Article.objects.with_entities(), pk=pk)
    return JsonResponse(serializers.article_detail(article))


@require_GET
def api_entity(request, pk: int):
    entity = Entity.objects.filter(pk=pk).first()
    if entity is None:
        survivor = survivor_of(pk)
        if survivor is None:
            return JsonResponse({"error": f"No entity has id {pk}."}, status=404)
        return redirect("search:api-entity", pk=survivor, permanent=True)
    return JsonResponse(serializers.entity_detail(entity))


@require_GET
def api_facet(request, facet: str):
    try:
        page = _facet_values(request, facet)
    except BadParameter as error:
        return _bad_request(error)
    return JsonResponse(serializers.facet_page_response(page))


@require_GET
def api_autocomplete(request):
    kind = request.GET.get("kind", "")
    if kind and kind not in ENTITY_FACETS:
        return _bad_request(ValueError(f"'kind' is one of {', '.join(ENTITY_FACETS)}."))
    term = request.GET.get("q", "").strip()[:100]
    entities = Entity.objects.search_names(term, kind=kind or None)[:20]
    return JsonResponse(
        {
            "results": [
                {"id": e.pk, "name": e.name, "kind": e.kind, "articles": e.article_count}
                for e in entities
            ]
        }
    )


@require_GET
def export(request, fmt: str):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(params), content_type="text/csv; charset=utf-8")
    else:
        include_body = request.GET.get("include") == "body"
        response = StreamingHttpResponse(
            jsonl_lines(params, include_body), content_type="application/x-ndjson"
        )
    response["Content-Disposition"] = f'attachment; filename="articles.{fmt}"'
    return response
