"""Background work yields the CPU to the web server."""

from __future__ import annotations

import logging
import os

from django.conf import settings

logger = logging.getLogger(__name__)


def yield_to_web_server() -> None:
    """Lower this process's CPU priority by settings.BACKGROUND_NICENESS (children it forks
    later, such as NER and index writers, inherit it). On an idle machine the work goes as
    fast as before; beside searches, the searches go first."""
    if settings.BACKGROUND_NICENESS <= 0:
        return
    try:
        os.nice(settings.BACKGROUND_NICENESS)
    except OSError as exc:  # not permitted here: run at the same priority
        logger.info("Could not lower the CPU priority: %s", exc)
