"""A search index that cannot be read is an outage to report, not a crash to show."""

import logging

from django.http import JsonResponse
from django.shortcuts import render
from haystack.exceptions import SearchBackendError

logger = logging.getLogger(__name__)
MESSAGE = "Search is unavailable right now; the archive's administrators have been told."


class SearchUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SearchBackendError):
            return None
        logger.error("Search failed: %s", exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"error": MESSAGE}, status=503)
        return render(request, "search/search.html", {"error": MESSAGE}, status=503)
