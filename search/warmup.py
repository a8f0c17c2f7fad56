"""Reading the index's caches ahead of the first request."""

from __future__ import annotations

import logging

from haystack import connections
from haystack.exceptions import SearchBackendError

logger = logging.getLogger(__name__)


def warm_up(using: str = "default") -> None:
    """Load this process's doc values and did-you-mean vocabulary; an index that cannot be
    read is left for the first request to report (503)."""
    backend = connections[using].get_backend()
    try:
        searcher = backend.searcher()
        backend.doc_values.for_searcher(searcher)
        backend.vocabulary.suggest(searcher, "warmup")
    except SearchBackendError as exc:
        logger.warning("Search caches not warmed: %s", exc)
