"""Log filters the settings install."""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is an answer, not a fault: Django logs it with the PermissionDenied's traceback,
    which filled the log each time a viewer opened a page meant for curators. The line stays;
    the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
