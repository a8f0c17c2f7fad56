"""The archive runs on the engines of search/engines only: the pages rely on the interface
they implement (facets holding ids, the OR rule, exact counts, their refusals), which
Haystack's stock engines do not provide."""

from django.conf import settings
from django.core.checks import Error, register

from search.engines import ENGINES

# The Haystack connection each engine works through (the Solr adapter uses it only for the
# documents' fields; it talks to Solr itself).
HAYSTACK_ENGINES = {
    "whoosh": "search.engines.whoosh.backend.ArchiveWhooshEngine",
    "solr": "haystack.backends.solr_backend.SolrEngine",
}


@register()
def check_search_engine(app_configs=None, **kwargs) -> list[Error]:
    chosen = getattr(settings, "SEARCH_ENGINE", None)
    if chosen not in ENGINES:
        return [
            Error(
                f"SEARCH_ENGINE is {chosen!r}; the archive runs on "
                f"{' or '.join(repr(name) for name in ENGINES)} only.",
                id="search.E002",
            )
        ]
    errors = []
    for alias, connection in settings.HAYSTACK_CONNECTIONS.items():
        engine = connection.get("ENGINE")
        if engine != HAYSTACK_ENGINES[chosen]:
            errors.append(
                Error(
                    f"HAYSTACK_CONNECTIONS[{alias!r}] uses {engine!r}; with "
                    f"SEARCH_ENGINE={chosen!r} the archive works through "
                    f"{HAYSTACK_ENGINES[chosen]} only.",
                    id="search.E001",
                )
            )
    if chosen == "solr" and not settings.SOLR_URLS:
        errors.append(Error("SEARCH_ENGINE='solr' needs SOLR_URLS.", id="search.E003"))
    return errors
