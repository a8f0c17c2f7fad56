"""The archive runs on its own Haystack engine only: the pages and the facet registry rely
on what it adds (doc-value facets holding ids, folded text, its refusals), which neither
Haystack's stock Whoosh engine nor another search server provides."""

from django.conf import settings
from django.core.checks import Error, register

ENGINE = "search.backends.ArchiveWhooshEngine"


@register()
def check_search_engine(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for alias, connection in settings.HAYSTACK_CONNECTIONS.items():
        engine = connection.get("ENGINE")
        if engine != ENGINE:
            errors.append(
                Error(
                    f"HAYSTACK_CONNECTIONS[{alias!r}] uses {engine!r}; the archive runs on "
                    f"{ENGINE} only.",
                    id="search.E001",
                )
            )
    return errors
