"""A search index that cannot be read is an outage to report, not a crash to show; a query
the engine refuses (too costly a shape) is the reader's to change, a 400 with the reason."""

import logging

from django.http import JsonResponse
from django.shortcuts import render
from haystack.exceptions import SearchBackendError

from search.facets import BadParameter

logger = logging.getLogger(__name__)
MESSAGE = "Search is unavailable right now; the archive's administrators have been told."
RETRY_AFTER_SECONDS = "30"  # a search server's restart, or a shard's new leader


class SearchUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadParameter):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": str(exception)}, status=400)
            return render(request, "search/search.html", {"error": str(exception)}, status=400)
        if not isinstance(exception, SearchBackendError):
            return None
        logger.error("Search failed: %s", exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": MESSAGE}, status=503)
        else:
            response = render(request, "search/search.html", {"error": MESSAGE}, status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
