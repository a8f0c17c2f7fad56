"""A running job's watch: it stamps the job only while the job moves, stops it when a curator
cancels, and ends a job that stopped moving (in a worker lane, the lane and its children)."""

import os
import time

import pytest

from archive import jobs, liveness
from archive.models import ImportJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick(settings, monkeypatch):
    settings.JOB_HEARTBEAT_SECONDS = 1
    settings.STALLED_JOB_SECONDS = 2
    stalls = []
    monkeypatch.setattr(jobs, "on_stall", lambda: stalls.append(time.monotonic()))
    return stalls


def running_job() -> ImportJob:
    return ImportJob.objects.create(label="wire", status=ImportJob.Status.RUNNING)


def test_a_job_that_stops_moving_is_not_stamped_and_is_ended(quick, monkeypatch):
    monkeypatch.setattr(liveness, "cpu_seconds", lambda pid=None: 12.0)  # a deadlock: no CPU
    job = running_job()
    with jobs._Watch(job.pk):
        time.sleep(4.5)
    job.refresh_from_db()
    assert job.heartbeat_at is None  # life without progress is not stamped
    assert quick, "the stalled job was not ended"


def test_a_job_that_moves_is_stamped_and_left_alone(quick, monkeypatch):
    monkeypatch.setattr(liveness, "cpu_seconds", lambda pid=None: 12.0)
    job = running_job()
    with jobs._Watch(job.pk):
        for _ in range(9):
            liveness.progressed()  # records read
            time.sleep(0.5)
    job.refresh_from_db()
    assert job.heartbeat_at is not None
    assert quick == []


def test_cpu_used_by_the_workers_counts_as_moving(quick, monkeypatch):
    clock = iter(range(0, 10_000, 2))
    monkeypatch.setattr(liveness, "cpu_seconds", lambda pid=None: float(next(clock)))
    job = running_job()
    with jobs._Watch(job.pk):
        time.sleep(4.5)
    job.refresh_from_db()
    assert job.heartbeat_at is not None and quick == []


def test_a_cancel_sets_the_stop_within_a_second_or_two(quick):
    job = running_job()
    with jobs._Watch(job.pk) as watch:
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        assert watch.stop.wait(3)


def test_cpu_seconds_counts_this_process_and_its_children():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.1)
        assert child.pid in liveness.children(os.getpid())
        before = liveness.cpu_seconds()
        time.sleep(1.0)
        assert liveness.cpu_seconds() - before > 0.3
    finally:
        child.kill()
        child.wait()
