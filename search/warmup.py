"""Reading the index's caches ahead of the first request."""

from __future__ import annotations

import logging

from haystack.exceptions import SearchBackendError

from search.engines import get_engine

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Load what this process's first search would load; an engine that cannot answer is
    left for the first request to report (503)."""
    try:
        get_engine().warm_up()
    except SearchBackendError as exc:
        logger.warning("Search caches not warmed: %s", exc)
