import csv
import json

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive.curation import resolve_entity_ids, survivor_of
from archive.models import Article, Entity
from archive.views import way_back
from search import serializers
from search.exports import csv_lines, jsonl_lines
from search.facets import (
    ENTITY_FACETS,
    BadParameter,
    display_names,
    facet_named,
    is_whole_number,
)
from search.models import SavedSearch
from search.namelists import NameListError, clean_lines, csv_rows, look_up, names_from_csv
from search.network import (
    NEW_CONNECTION_DAYS,
    Network,
    Pair,
    entity_profile,
    lay_out,
    network,
    pair,
    parse_network_options,
)
from search.query import (
    FacetPage,
    facet_values_page,
    filter_chips,
    parse_params,
    run_search,
)

FACET_PAGE_SIZE = 100


@require_GET
def search_page(request):
    try:
        params = parse_params(request.GET)
    except BadParameter as error:
        return render(request, "search/search.html", {"error": str(error)}, status=400)
    outcome = run_search(params)
    context = {"outcome": outcome, "params": params, "digests": SavedSearch.Digest.choices}
    return render(request, "search/search.html", context)


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


def _json_answer(build) -> JsonResponse:
    """The JSON `build` returns, or a 400 with the message of a bad parameter."""
    try:
        return JsonResponse(build())
    except BadParameter as error:
        return _bad_request(error)


@require_GET
def api_search(request):
    return _json_answer(lambda: serializers.search_response(run_search(parse_params(request.GET))))


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
    return _json_answer(lambda: serializers.facet_page_response(_facet_values(request, facet)))


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


# Who appears with whom (search/network.py, search/namelists.py)


def _network_of(request) -> Network:
    params = parse_params(request.GET)
    size, kinds = parse_network_options(request.GET)
    return network(params, size, kinds)


@require_GET
def network_page(request):
    try:
        result = _network_of(request)
    except BadParameter as error:
        return render(request, "search/network.html", {"error": str(error)}, status=400)
    lay_out(result)  # only the page draws it; the API leaves the layout to its client
    params = result.params
    names = display_names(
        {k: {*params.selected.get(k, ()), *params.excluded.get(k, ())} for k in ENTITY_FACETS}
    )
    return render(
        request,
        "search/network.html",
        {
            "network": result,
            "params": params,
            "chips": filter_chips(params, names, view="search:network"),
            "kind_choices": ENTITY_FACETS,
        },
    )


@require_GET
def api_network(request):
    return _json_answer(lambda: _network_of(request).as_dict())


def _pair_of(request) -> Pair:
    params = parse_params(request.GET)
    ids = []
    for name in ("a", "b"):
        value = request.GET.get(name, "").strip()
        if not is_whole_number(value):
            raise BadParameter(f"'{name}' is an entity id (a whole number), not {value[:20]!r}.")
        ids.append(int(value))
    current = resolve_entity_ids(ids)
    entities = Entity.objects.in_bulk({current[i] for i in ids})
    missing = [i for i in ids if current[i] not in entities]
    if missing:
        raise BadParameter(f"No entity has id {missing[0]}.")
    first, second = (entities[current[i]] for i in ids)
    if first == second:
        raise BadParameter("'a' and 'b' are the same entity; choose two.")
    return pair(params.first_page, first, second)


@require_GET
def pair_page(request):
    try:
        result = _pair_of(request)
    except BadParameter as error:
        return render(request, "search/pair.html", {"error": str(error)}, status=400)
    context = {"pair": result, "params": result.params}
    context["network_url"] = result.params.url("search:network")
    return render(request, "search/pair.html", context)


@require_GET
def api_pair(request):
    return _json_answer(lambda: _pair_of(request).as_dict())


MAX_UPLOAD_BYTES = 2_000_000


def _names_from_form(request) -> list[str]:
    upload = request.FILES.get("file")
    if upload:
        if upload.size > MAX_UPLOAD_BYTES:
            raise NameListError(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NameListError("The file is not UTF-8 text; save the CSV as UTF-8.") from None
        return clean_lines(names_from_csv(text))
    return clean_lines(request.POST.get("names", "").splitlines())


@require_http_methods(["GET", "POST"])
def names_page(request):
    source = request.POST if request.method == "POST" else request.GET
    context = {"names_text": request.POST.get("names", "")}
    try:
        params = parse_params(source)
        context["params"] = params
        if request.method == "POST":
            result = look_up(params, _names_from_form(request))
            if request.POST.get("format") == "csv":
                return _csv_download(csv_rows(result), "names.csv")
            context["result"] = result
    except (BadParameter, NameListError) as error:
        context["error"] = str(error)
        return render(request, "search/names.html", context, status=400)
    return render(request, "search/names.html", context)


def _csv_download(rows: list[list], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(rows)
    return response


# Read-only, so API clients may call it without a CSRF token.
@csrf_exempt
@require_POST
def api_names(request):
    if request.content_type != "application/json":
        return _bad_request(
            ValueError("Send the name list as JSON (Content-Type: application/json).")
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _bad_request(ValueError("The request body is not JSON."))
    except RecursionError:  # nested thousands deep: not a name list either
        return _bad_request(ValueError("The request body is nested too deeply."))
    try:
        if not isinstance(body, dict) or not isinstance(body.get("names"), list):
            raise NameListError('Send a JSON object: {"names": [...], ...search parameters}.')
        query = QueryDict(mutable=True)
        for key, value in body.items():
            if key != "names":
                values = value if isinstance(value, list) else [value]
                query.setlist(key, [str(v) for v in values])
        result = look_up(parse_params(query), clean_lines(str(n) for n in body["names"]))
    except (BadParameter, NameListError) as error:
        return _bad_request(error)
    return JsonResponse(result.as_dict())


def entity_page(request, pk: int):
    entity = Entity.objects.filter(pk=pk).first()
    if entity is None:
        # A merged entity's links and bookmarks lead to the entity it was merged into.
        survivor = survivor_of(pk)
        if survivor is None:
            raise Http404("No such entity.")
        return redirect("search:entity", pk=survivor, permanent=True)
    profile = entity_profile(entity)
    page = Paginator(profile.articles, 20).get_page(request.GET.get("page"))
    peak = max((row["count"] for row in profile.timeline), default=0)
    return render(
        request,
        "search/entity.html",
        {
            "entity": entity,
            "page": page,
            "timeline": [
                {**row, "percent": round(100 * row["count"] / peak)} for row in profile.timeline
            ],
            "connections": profile.connections,
            "new_connections": profile.new_connections,
            "new_connection_days": NEW_CONNECTION_DAYS,
            "articles_search_url": reverse("search:search")
            + "?"
            + urlencode({entity.kind: entity.pk}),
            **way_back(request),
        },
    )
