"""The search engines the archive runs on, chosen by the SEARCH_ENGINE setting; everything
else reaches one through `get_engine()` and the interface in search/engines/base.py."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from search.engines.base import SearchEngine

ENGINES = {
    "whoosh": "search.engines.whoosh.engine.WhooshEngine",
    "solr": "search.engines.solr.engine.SolrEngine",
}


def get_engine() -> SearchEngine:
    """The configured engine (one per process and configuration)."""
    if settings.SEARCH_ENGINE == "solr":
        return _engine("solr", tuple(settings.SOLR_URLS), settings.SOLR_COLLECTION)
    return _engine(settings.SEARCH_ENGINE)


@cache
def _engine(name: str, *configuration) -> SearchEngine:
    return import_string(ENGINES[name])()
