"""Import jobs: uploads and URL lists imported by a background task, with live progress,
cancelling, and a retry that neither loses nor doubles articles when a worker dies."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from archive import liveness
from archive.cancellation import Cancelled
from archive.fetching import read_urls
from archive.importers import BadRecord, Record, read_paths
from archive.ingest import (
    INDEX_BATCH,
    KEPT_BAD_RECORDS,
    STORE_BATCH,
    ImportReport,
    import_records,
    reextract_articles,
)
from archive.models import Article, ImportJob
from archive.signals import articles_changed

logger = logging.getLogger(__name__)
Status = ImportJob.Status


# Bytes of an upload's stored name: enough for any real one; a longer one (256 characters)
# would not fit the file system's limit once numbered.
MAX_NAME_BYTES = 150


def _safe_name(name: str) -> str:
    """The upload's name as stored: its folders dropped, shortened in the middle, keeping
    the suffixes that tell its format (".jsonl.gz")."""
    name = Path(name).name.replace("\x00", "") or "upload"
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    suffix = "".join(Path(name).suffixes[-2:])
    suffix = suffix if len(suffix.encode()) <= 20 else ""
    room = MAX_NAME_BYTES - len(suffix.encode()) - 1
    stem = name[: len(name) - len(suffix)].encode()[:room].decode("utf-8", "ignore")
    return f"{stem}~{suffix}"


def start_import(*, user, files: list[UploadedFile], urls: list[str]) -> ImportJob:
    """Save the uploads where the worker finds them and queue the job."""
    names = [_safe_name(f.name) for f in files]
    label = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if urls:
        label = (label + " + " if label else "") + f"{len(urls)} URL{'s' * (len(urls) != 1)}"
    job = ImportJob.objects.create(label=label[:300], urls="\n".join(urls), created_by=user)
    if files:
        folder = Path(settings.UPLOAD_DIR) / str(job.pk)
        job.folder = str(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for number, upload in enumerate(files):
                # The number keeps two uploads of one name apart; the name keeps its format.
                with open(folder / f"{number:03d}-{names[number]}", "wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
        except OSError as exc:  # a full or read-only disk: the job says so, never "queued"
            job.error = f"The uploads could not be saved: {exc.strerror or exc}"
            job.save(update_fields=["folder", "error"])
            _finish(job, Status.FAILED)
            return job
        job.save(update_fields=["folder"])
    job.task_id = str(run_import_job.enqueue(job.pk).id)
    ImportJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
    return job


@task(queue_name="imports")
def run_import_job(job_id: int) -> None:
    run_job(ImportJob.objects.get(pk=job_id))


def run_job(job: ImportJob) -> None:
    """Run (or, after a dead worker, run again) one import job to its end."""
    if job.finished:
        return  # a retried task of a job that was finished meanwhile
    if job.cancel_requested:
        _finish(job, Status.CANCELLED)
        return
    earlier = job.articles.count()
    if earlier:
        _reindex_last_stored(job)
    job.attempts += 1
    job.status = Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["attempts", "status", "started_at", "heartbeat_at"])
    progress = _Progress(job, earlier)
    try:
        with _Watch(job.pk) as watch:
            report = import_records(
                _records(job),
                on_progress=progress,
                on_bad=progress.bad,
                job_id=job.pk,
                stop=watch.stop,
            )
    except Cancelled:
        progress.save(progress.report)
        _finish(job, Status.CANCELLED)
        return
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        progress.save(progress.report)
        job.error = f"{type(exc).__name__}: {exc}"
        _finish(job, Status.FAILED)
        return
    progress.save(report)
    if report.unindexed:
        job.error = report.summary()
    _finish(job, Status.DONE)


def _records(job: ImportJob) -> Iterator[Record]:
    files = read_paths([job.folder]) if job.folder else iter(())
    return chain(files, read_urls(u for u in job.urls.splitlines() if u))


def _reindex_last_stored(job: ImportJob) -> None:
    """A worker killed between storing a batch and indexing it leaves at most the job's last
    index batch (and the store batch after it) out of the index: index those again. The
    import that follows sees everything stored as known and does not store it twice."""
    last = job.articles.order_by("-pk").values_list("pk", flat=True)[: INDEX_BATCH + STORE_BATCH]
    articles_changed.send(sender=ImportJob, ids=list(last))


def _finish(job: ImportJob, status: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "error"])
    if status != Status.FAILED and job.folder:
        # Kept after a failure, so the job can be looked into; otherwise the archive has them.
        shutil.rmtree(job.folder, ignore_errors=True)


class _Progress:
    """Writes the job's counts at most once a second, and stops the import when a curator
    cancels it."""

    def __init__(self, job: ImportJob, earlier: int):
        self.job = job
        self.earlier = earlier  # stored by attempts before this one
        self.report = ImportReport()
        self.saved_at = 0.0

    def __call__(self, report: ImportReport) -> None:
        self.report = report
        liveness.progressed()
        now = timezone.now().timestamp()
        if now - self.saved_at < 1:
            return
        self.saved_at = now
        self.save(report)

    def bad(self, record: BadRecord) -> None:
        if len(self.job.bad_records) < KEPT_BAD_RECORDS:
            # Named as uploaded ("batch.jsonl:4"), not by where the upload waits on disk.
            origin = record.origin
            if self.job.folder and origin.startswith(self.job.folder):
                origin = origin[len(self.job.folder) :].lstrip("/").split("-", 1)[-1]
            self.job.bad_records.append(f"{origin}: {record.message}")

    def save(self, report: ImportReport) -> None:
        job = self.job
        job.records_read = report.read
        job.imported = self.earlier + report.imported
        # What earlier attempts stored comes round again as duplicates: not the reader's.
        job.duplicates = max(0, report.duplicates - self.earlier)
        job.skipped = report.skipped
        job.bad_count = report.bad_count
        job.save(
            update_fields=[
                "records_read",
                "imported",
                "duplicates",
                "skipped",
                "bad_count",
                "bad_records",
            ]
        )


class _Watch:
    """While a job runs, a thread of its worker looks at it every second:

    - a job a curator cancelled is stopped (`stop` is set; the import checks it wherever it
      waits, so it stops within a moment, keeping what it stored);
    - the job is stamped every JOB_HEARTBEAT_SECONDS, but only if it moved since the last
      stamp (records read, or CPU used by the worker, its NER workers or its index writer).
      A live but stuck worker stops stamping like a dead one, and the clock runs the job
      again;
    - once it has not moved for STALLED_JOB_SECONDS, `on_stall` is called: in a worker lane
      it ends the lane and its children (`manage.py run_worker` starts a fresh one), so a
      deadlock cannot hold the lane and its queue for ever."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.stop = threading.Event()
        self._done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name=f"job-{job_id}", daemon=True)

    def __enter__(self) -> _Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self.thread.join()

    def _watch(self) -> None:
        self.cpu = liveness.cpu_seconds()
        self.moved_at = self.stamped_at = time.monotonic()
        try:
            while not self._done.wait(1):
                try:
                    self._look()
                except Exception:
                    # A busy database (a lock timeout) must not end the watch: next second.
                    logger.exception("Could not look at import job %s", self.job_id)
        finally:
            connection.close()

    def _look(self) -> None:
        job = ImportJob.objects.filter(pk=self.job_id)
        if not self.stop.is_set() and job.filter(cancel_requested=True).exists():
            self.stop.set()
        now = time.monotonic()
        if now - self.stamped_at < settings.JOB_HEARTBEAT_SECONDS:
            return
        cpu = liveness.cpu_seconds()
        used, self.cpu = cpu - self.cpu, cpu
        if used > 0.05 or liveness.last_progress() > self.stamped_at:
            self.moved_at = now
            job.update(heartbeat_at=timezone.now())
        elif now - self.moved_at > settings.STALLED_JOB_SECONDS:
            logger.error("Import job %s has not moved for %d s", self.job_id, now - self.moved_at)
            on_stall()
            self.moved_at = now
        self.stamped_at = now


def _log_only() -> None:
    """Outside a worker lane (a test, a shell) a stalled job is only logged."""


# What a stalled job does to its process; `run_worker` lanes end themselves (liveness.kill_tree).
on_stall = _log_only


def cancel(job: ImportJob) -> None:
    """Ask a job to stop; a job that has not started stops at once."""
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    if (
        ImportJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, finished_at=timezone.now()
        )
        and job.folder
    ):
        shutil.rmtree(job.folder, ignore_errors=True)


def retry_stalled_jobs() -> int:
    """Run again the jobs whose worker died (their heartbeat went stale); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.STALLED_JOB_SECONDS)
    retried = 0
    stalled = ImportJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)
    for job in stalled:
        if job.cancel_requested:
            # Cancelled before its worker died or hung: never resumed.
            if ImportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                status=Status.CANCELLED, finished_at=timezone.now()
            ):
                _put_back(job.task_id, TaskResultStatus.FAILED)
            continue
        # Only one worker's clock wins each job.
        if not ImportJob.objects.filter(
            pk=job.pk, status=Status.RUNNING, heartbeat_at__lt=cutoff
        ).update(status=Status.QUEUED):
            continue
        logger.warning("Import job %s lost its worker; running it again", job.pk)
        if not _put_back(job.task_id):
            job.task_id = str(run_import_job.enqueue(job.pk).id)
            job.save(update_fields=["task_id"])
        retried += 1
    return retried


def _put_back(task_id: str, status: str = TaskResultStatus.READY) -> bool:
    """Make the database worker's task of a dead worker ready to run again, or end it (it
    stays "running" for ever otherwise); False when there is no such task."""
    try:
        uuid.UUID(task_id)
    except ValueError:  # queued through another backend, or never queued
        return False
    ended = {"finished_at": timezone.now()} if status != TaskResultStatus.READY else {}
    return bool(
        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
            status=status, started_at=None, **ended
        )
    )


@task(queue_name="curation")
def reextract_later(article_ids: list[int]) -> int:
    """Re-extract these articles' entities in the worker; returns how many there were."""
    articles = list(Article.objects.filter(pk__in=article_ids))
    return len(reextract_articles(articles, workers=1))
