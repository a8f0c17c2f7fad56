"""The background worker: one process (a lane) per task queue, each running django-tasks'
database worker, and the archive's clock, which every WORKER_TICK_SECONDS runs
settings.PERIODIC_JOBS (due feed polls, due alerts, stalled imports).

Lanes keep one queue's long task (a large import) from holding up the others (feed polls and
alert mail, re-extraction). This process only watches them: a lane that dies, or ends itself
because its job stopped moving (archive/jobs.py), is started again. SIGTERM or Ctrl-C stops
the lanes (each finishes its current task within SHUTDOWN_GRACE, or is ended)."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from archive import jobs, liveness
from archive.priority import yield_to_web_server

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE = 10  # seconds a lane has to finish its task when the worker is stopped


def run_clock(stopping: threading.Event) -> None:
    periodic = [import_string(path) for path in settings.PERIODIC_JOBS]
    while not stopping.is_set():
        for job in periodic:
            try:
                job()
            except Exception:
                # One failing job (a database blip) must not stop the clock for the others.
                logger.exception("Periodic job %s failed", job.__qualname__)
        close_old_connections()
        stopping.wait(settings.WORKER_TICK_SECONDS)


class Command(BaseCommand):
    help = "Run background tasks (a process for each queue) and the archive's periodic jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds a lane waits before looking for new tasks again (default: 1).",
        )
        parser.add_argument("--lane", help="Run one queue's worker only (used by the worker).")

    def handle(self, *args, interval: float, lane: str | None, verbosity: int, **options):
        if lane:
            return run_lane(lane, interval)
        yield_to_web_server()  # the lanes inherit the lower priority
        Supervisor(interval, verbosity).run()


def run_lane(queue: str, interval: float) -> None:
    """One queue's worker. It ends with the process that started it, and ends itself (and its
    NER and index processes) when a job stops moving."""
    parent = os.getppid()
    jobs.on_stall = liveness.kill_tree

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        logger.error("Worker lane %s lost its supervisor; ending", queue)
        liveness.kill_tree()

    threading.Thread(target=orphaned, name="supervisor-watch", daemon=True).start()
    worker = Worker(
        queue_names=[queue],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=lane_id(queue),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    worker.run()


def lane_id(queue: str) -> str:
    return f"{queue}-{os.getpid()}-{get_random_string(8)}"[:64]


class Supervisor:
    def __init__(self, interval: float, verbosity: int):
        self.interval = interval
        self.verbosity = verbosity
        self.queues = list(settings.TASKS["default"]["QUEUES"])
        self.lanes: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        for queue in self.queues:
            self.start(queue)
        # Lanes are new programs (fork and exec), so they inherit none of the clock thread's
        # locks or this process's signal handlers, also when one is started again later.
        clock = threading.Thread(target=run_clock, args=(self.stopping,), daemon=True)
        clock.start()
        try:
            while not self.stopping.wait(0.5):
                for queue, lane in list(self.lanes.items()):
                    if lane.poll() is not None:
                        logger.warning(
                            "Worker lane %s ended (%s); starting it again", queue, lane.returncode
                        )
                        self.requeue_dead_lane_tasks(lane.pid)
                        self.start(queue)
        finally:
            self.stop()
            clock.join(timeout=5)

    def start(self, queue: str) -> None:
        command = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "run_worker",
            "--lane",
            queue,
        ]
        command += ["--interval", str(self.interval), "-v", str(self.verbosity)]
        self.lanes[queue] = subprocess.Popen(command)

    def requeue_dead_lane_tasks(self, pid: int) -> None:
        """A dead lane's feed poll, alert run or re-extraction runs again (each may run
        twice safely); its import job is the clock's to take over (retry_stalled_jobs), once
        the job's heartbeat is stale, so that it is never run twice at once."""
        prefix = f"-{pid}-"
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exclude(
            task_path=jobs.run_import_job.module_path
        )
        for result in running.only("id", "worker_ids"):
            if result.worker_ids and prefix in result.worker_ids[-1]:
                DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
        connection.close()

    def stop(self) -> None:
        for lane in self.lanes.values():
            if lane.poll() is None:
                lane.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE
        for lane in self.lanes.values():
            try:
                lane.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                liveness.kill_tree(lane.pid)
                lane.wait()
