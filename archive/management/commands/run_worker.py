"""`db_worker` (django-tasks' database worker) plus the archive's clock: every
WORKER_TICK_SECONDS it runs settings.PERIODIC_JOBS (due feed polls, due alerts, stalled imports)."""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from archive.priority import yield_to_web_server

logger = logging.getLogger(__name__)


def run_clock() -> None:
    jobs = [import_string(path) for path in settings.PERIODIC_JOBS]
    while True:
        for job in jobs:
            try:
                job()
            except Exception:
                # One failing job (a database blip) must not stop the clock for the others.
                logger.exception("Periodic job %s failed", job.__qualname__)
        close_old_connections()
        time.sleep(settings.WORKER_TICK_SECONDS)


class Command(db_worker.Command):
    help = "Run background tasks (every queue by default) and the archive's periodic jobs."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def handle(self, *args, **options) -> None:
        yield_to_web_server()
        # With --reload the parent only watches files; the clock runs in the child that works.
        if not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            threading.Thread(target=run_clock, name="archive-clock", daemon=True).start()
        super().handle(*args, **options)
