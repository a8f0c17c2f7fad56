from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from archive.markup import register_marker
        from search import checks  # noqa: F401  (registers the system checks)
        from search.snippets import marker

        # An article opened from a search marks the searched words.
        register_marker(marker)
