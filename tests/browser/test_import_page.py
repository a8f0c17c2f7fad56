"""A curator uploads files on the admin's import page and watches the job go from queued to
done, with its counts and the reason for each bad record."""

import gzip
import json

import pytest

from archive import jobs
from archive.models import Article, ImportJob
from tests.browser.conftest import NEEDS_CHROMIUM, log_in_as_curator, shot
from tests.local_site import STORIES

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


def test_an_upload_shows_its_progress_and_result(live_server, page, settings, tmp_path):
    # The task waits in the queue until the test plays the worker, so the page is seen
    # before, while and after the job runs.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "imports"],
        }
    }
    records = [{"title": t, "body": b, "entities": {"place": ["Tromsø"]}} for t, b in STORIES]
    lines = [json.dumps(r) for r in records] + ['{"title": "cut off', json.dumps(records[0])]
    upload = tmp_path / "gazette.jsonl.gz"
    upload.write_bytes(gzip.compress("\n".join(lines).encode()))
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.4")

    log_in_as_curator(page, live_server)
    page.goto(live_server.url + "/admin/archive/importjob/add/")
    # A format the import cannot read is refused before anything is queued.
    page.set_input_files("input[name=files]", [str(notes)])
    page.click("input[type=submit]")
    assert "Not a format the import reads: notes.pdf" in page.inner_text("#content")
    assert not ImportJob.objects.exists()

    page.set_input_files("input[name=files]", [str(upload)])
    page.click("input[type=submit]")
    page.wait_for_selector(".job-status")
    assert page.inner_text(".job-status") == "queued"
    assert "refreshes itself" in page.inner_text(".import-progress")
    shot(page, "admin-import-queued")

    jobs.run_job(ImportJob.objects.get())

    page.wait_for_function(
        "document.querySelector('.job-status').textContent === 'done'", timeout=15_000
    )
    assert page.inner_text(".job-read") == "5"
    assert page.inner_text(".job-imported") == "3"
    assert page.inner_text(".job-duplicates") == "1"
    assert page.inner_text(".job-bad") == "1"
    assert page.inner_text(".bad-records").startswith("gazette.jsonl.gz:4: broken JSON")
    assert "broken JSON" in page.inner_text(".bad-records")
    assert "Started by curator" in page.inner_text(".import-progress")
    assert page.locator("text=Cancel the import").count() == 0
    shot(page, "admin-import-done")
    assert Article.objects.count() == 3

    page.goto(live_server.url + "/admin/archive/importjob/")
    assert "gazette.jsonl.gz" in page.inner_text("#result_list")
    assert "curator" in page.inner_text("#result_list")
