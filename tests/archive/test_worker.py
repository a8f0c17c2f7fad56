"""The background worker as users run it (`manage.py run_worker`, tasks in the database),
killed in the middle of an import and started again."""

import contextlib
import json
import os
import signal
import subprocess
import time

import pytest

from tests.processes import archive_processes

ARTICLES = 3000
START_JOB = """
from django.core.files.uploadedfile import SimpleUploadedFile
from archive import jobs
data = open({path!r}, "rb").read()
job = jobs.start_import(user=None, files=[SimpleUploadedFile("wire.jsonl", data)], urls=[])
print(job.pk)
"""


def _wait(what, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(every)
    return what()


@pytest.mark.slow
def test_a_worker_killed_during_an_import_is_replaced_and_the_job_finishes_exactly(tmp_path):
    corpus = tmp_path / "wire.jsonl"
    with corpus.open("w") as out:
        for n in range(ARTICLES):
            record = {
                "title": f"Harbour bulletin {n}",
                "body": f"Bulletin {n}: freight through Tromsø rose {n % 89} percent this week.",
                "entities": {"place": ["Tromsø"], "organization": [f"Line {n % 40}"]},
            }
            out.write(json.dumps(record) + "\n")
    # A short stall window, so the restarted worker takes the job over within seconds (not
    # so short that a busy test machine delays a live job's stamps past it).
    with archive_processes(tmp_path, STALLED_JOB_SECONDS="15", WORKER_TICK_SECONDS="1") as archive:
        archive.manage("migrate", "-v0", check=True)
        started = archive.manage("shell", "-c", START_JOB.format(path=str(corpus)), check=True)
        job = int(started.stdout.strip().splitlines()[-1])
        assert archive.scalar(f"SELECT status FROM archive_importjob WHERE id = {job}") == "queued"

        workers: list[subprocess.Popen] = []

        def worker() -> subprocess.Popen:
            workers.append(archive.start_worker("--interval", "0.2"))
            return workers[-1]

        try:
            first = worker()
            assert _wait(lambda: archive.stored_articles() >= 500, 240)
            os.killpg(first.pid, signal.SIGKILL)  # the worker and its indexing processes
            first.wait()
            stored = archive.stored_articles()
            assert 0 < stored < ARTICLES
            status = f"SELECT status FROM archive_importjob WHERE id = {job}"
            assert archive.scalar(status) == "running"

            worker()
            finished = _wait(
                lambda: archive.scalar(f"{status} AND status IN ('done', 'failed', 'cancelled')"),
                300,
                every=0.5,
            )
        finally:
            # Whatever failed, no worker outlives the test.
            for process in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert finished == "done"
        assert archive.stored_articles() == ARTICLES
        counts = archive.scalar(
            f"SELECT imported || ' ' || duplicates || ' ' || attempts FROM archive_importjob "
            f"WHERE id = {job}"
        )
        assert counts == f"{ARTICLES} 0 2"
        check = archive.manage("check_index", "--dry-run")
        assert "The index matches the database." in check.stdout, check.stdout + check.stderr
