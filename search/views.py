import csv
import json

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from archive.curation import survivor_of
from archive.models import Article, Entity
from search import serializers
from search.exports import EXPORT_FIELDS, export_rows, inert_cell
from search.query import ENTITY_FACETS, FACETS, BadParameter, parse_params, run_search

KIND_LABELS = {
    "person": "People",
    "place": "Places",
    "organization": "Organizations",
    "source": "Sources",
}


@require_GET
def search_page(request):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return render(request, "search/search.html", {"error": str(error)}, status=400)
    outcome = run_search(params)
    peak = max((row["count"] for row in outcome.dates), default=0)
    columns = [
        {
            "facet": facet,
            "label": KIND_LABELS[facet],
            "values": [
                {
                    "item": value,
                    "select_url": params.url(
                        **{facet: [*params.selected.get(facet, []), value.value], "page": None}
                    ),
                    "deselect_url": params.url(
                        **{
                            facet: [v for v in params.selected.get(facet, []) if v != value.value]
                            or None,
                            "page": None,
                        }
                    ),
                    "exclude_url": params.url(
                        **{
                            f"exclude_{facet}": [*params.excluded.get(facet, []), value.value],
                            "page": None,
                        }
                    ),
                }
                for value in outcome.facets[facet]
            ],
            "any_of": facet in params.any_of,
            "toggle_url": params.url(
                **{f"{facet}_op": None if facet in params.any_of else "or", "page": None}
            ),
        }
        for facet in FACETS
    ]
    chips = []
    for facet in FACETS:
        for value in params.selected.get(facet, []):
            rest = [v for v in params.selected[facet] if v != value] or None
            chips.append(
                {
                    "label": outcome.names[facet].get(value, value),
                    "facet": facet,
                    "url": params.url(**{facet: rest, "page": None}),
                    "excluded": False,
                }
            )
        for value in params.excluded.get(facet, []):
            rest = [v for v in params.excluded[facet] if v != value] or None
            chips.append(
                {
                    "label": outcome.names[facet].get(value, value),
                    "facet": facet,
                    "url": params.url(**{f"exclude_{facet}": rest, "page": None}),
                    "excluded": True,
                }
            )
    context = {
        "outcome": outcome,
        "params": params,
        "columns": columns,
        "chips": chips,
        "dates": [
            {**row, "percent": round(100 * row["count"] / peak) if peak else 0}
            for row in outcome.dates
        ],
        "prev_url": params.url(page=str(params.page - 1)) if params.page > 1 else None,
        "next_url": params.url(page=str(params.page + 1)) if params.page < outcome.pages else None,
        "clear_url": params.url(
            **{f: None for f in FACETS},
            **{f"exclude_{f}": None for f in FACETS},
            date_from=None,
            date_to=None,
            page=None,
        ),
        "suggestion_url": params.url(q=outcome.suggestion, page=None)
        if outcome.suggestion
        else None,
        "sort_relevance": params.url(sort=None, page=None),
        "sort_newest": params.url(sort="newest", page=None),
        "sort_oldest": params.url(sort="oldest", page=None),
        "export_csv": reverse("search:export", args=["csv"]) + params.url(page=None),
        "export_jsonl": reverse("search:export", args=["jsonl"]) + params.url(page=None),
    }
    return render(request, "search/search.html", context)


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


class _Echo:
    def write(self, value):
        return value


@require_GET
def export(request, fmt: str):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    rows = export_rows(params)
    if fmt == "csv":
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow(row)
            for row in (
                [*EXPORT_FIELDS],
                *([inert_cell(row[f]) for f in EXPORT_FIELDS] for row in rows),
            )
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        lines = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="articles.{fmt}"'
    return response
