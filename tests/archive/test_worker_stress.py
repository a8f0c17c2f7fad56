"""The worker under the load users put on it: NER import jobs one after another, with the
clock, heartbeats, a feed poll and a search server running beside them; a running import
cancelled; the worker killed and started again. Real processes, bounded in time."""

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.archive.test_worker import _wait
from tests.local_site import STORIES, article_page, rss, serve
from tests.processes import archive_processes
from tests.security.test_serve import GUNICORN, free_port

NER_JOBS = 8
START_JOBS = """
from django.core.files.uploadedfile import SimpleUploadedFile
from archive import jobs
for path in {paths!r}:
    job = jobs.start_import(user=None, files=[SimpleUploadedFile(path.rsplit('/', 1)[-1],
        open(path, 'rb').read())], urls=[])
    print(job.pk)
"""
# Articles from the import files, not from the feed the test adds.
IMPORTED = "SELECT count(*) FROM archive_article WHERE url IS NULL OR url NOT LIKE '%/news/%'"
ADD_FEED = """
from archive.models import Feed
print(Feed.objects.create(url={url!r}).pk)
"""


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def _statuses(archive) -> dict[str, int]:
    statuses = ["queued", "running", "done", "failed", "cancelled"]
    counts = {
        status: archive.scalar(f"SELECT count(*) FROM archive_importjob WHERE status = '{status}'")
        for status in statuses
    }
    return {status: count for status, count in counts.items() if count}


@pytest.mark.slow
def test_ner_jobs_in_a_row_never_hang_and_cancel_and_feeds_are_not_starved(tmp_path):
    ner_files = [
        _jsonl(
            tmp_path / f"wire-{n}.jsonl",
            # No entities supplied: each job starts the NER workers and ends them.
            [{"title": t, "body": f"{b} Bulletin {n}-{i}."} for i, (t, b) in enumerate(STORIES)],
        )
        for n in range(NER_JOBS)
    ]
    long_file = _jsonl(
        tmp_path / "long.jsonl",
        [
            {
                "title": f"Harbour bulletin {n}",
                "body": f"Bulletin {n}: freight through Tromsø rose {n % 89} percent.",
                "entities": {"place": ["Tromsø"], "organization": [f"Line {n % 40}"]},
            }
            for n in range(40000)
        ],
    )
    env = {
        "STALLED_JOB_SECONDS": "12",
        "WORKER_TICK_SECONDS": "1",
        "EXTRACTION_WORKERS": "2",
        "FETCH_ALLOWED_HOSTS": "127.0.0.1",
    }
    with archive_processes(tmp_path, **env) as archive, serve() as site:
        archive.manage("migrate", "-v0", check=True)
        port = free_port()
        processes = [
            archive.start(
                "config.wsgi",
                "-c",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                program=[str(GUNICORN)],
                start_new_session=True,
                stderr=subprocess.DEVNULL,
            )
        ]

        def worker():
            processes.append(archive.start_worker("--interval", "0.2"))

        def search_answers() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=ferry", timeout=10) as r:
                return r.status == 200

        try:
            worker()
            archive.manage("shell", "-c", START_JOBS.format(paths=ner_files), check=True)
            # Every NER job ends, one after another, while searches are answered.
            done = _wait(
                lambda: _statuses(archive).get("done") == NER_JOBS and search_answers(),
                300,
                every=1,
            )
            assert done, _statuses(archive)
            assert archive.stored_articles() == NER_JOBS * len(STORIES)

            # A long import runs; a feed added meanwhile is polled by another lane.
            started = archive.manage(
                "shell", "-c", START_JOBS.format(paths=[long_file]), check=True
            )
            long_job = int(started.stdout.split()[-1])
            assert _wait(lambda: archive.stored_articles() > NER_JOBS * len(STORIES), 60)
            site.put("/news/0", article_page(*STORIES[0]))
            feed_url = site.put("/feed", rss(site, ["/news/0"]), content_type="text/xml")
            archive.manage("shell", "-c", ADD_FEED.format(url=feed_url), check=True)
            assert _wait(lambda: site.hits("/news/0"), 60), "the feed poll waited for the import"
            status = f"SELECT status FROM archive_importjob WHERE id = {long_job}"
            assert archive.scalar(status) == "running"

            # Cancelled while running: stopped within 5 s, what it stored kept.
            archive.manage(
                "shell",
                "-c",
                f"from archive import jobs; from archive.models import ImportJob; "
                f"jobs.cancel(ImportJob.objects.get(pk={long_job}))",
                check=True,
            )
            asked = time.monotonic()
            assert _wait(lambda: archive.scalar(status) == "cancelled", 5, every=0.1)
            assert time.monotonic() - asked <= 5.5
            # The feed's article may still be on its way in its own lane: count the
            # imported ones.
            kept = archive.scalar(IMPORTED)
            assert kept < 40000 + NER_JOBS * len(STORIES)

            # Killed and started again, the worker never resumes the cancelled job.
            os.killpg(processes[1].pid, signal.SIGKILL)
            processes[1].wait()
            worker()
            time.sleep(15)  # past STALLED_JOB_SECONDS: the clock has looked at every job
            assert archive.scalar(status) == "cancelled"
            assert archive.scalar(IMPORTED) == kept
            assert search_answers()
            # What the kill left owed to the index (a feed poll killed between storing and
            # indexing its article, say) is replayed by the new worker's clock.
            pending = "SELECT count(*) FROM search_pendingindexchange"
            assert _wait(lambda: archive.scalar(pending) == 0, 60, every=1)
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        check = archive.manage("check_index", "--dry-run")
        assert "The index matches the database." in check.stdout, check.stdout + check.stderr
