"""Articles coming in by themselves: feeds, URL lists, web archives and admin import jobs,
all served from a web site inside the test (no outside network)."""

import gzip
import io
import json
import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from archive import feeds, jobs
from archive.importers import article_from_fields
from archive.ingest import import_paths, import_records
from archive.models import Article, Feed, FeedEntry, ImportJob
from tests.local_site import STORIES, article_page, rss, serve


@pytest.fixture
def site():
    with serve() as site:
        for number, (title, body) in enumerate(STORIES):
            site.put(f"/news/{number}", article_page(title, body))
        yield site


def test_a_feed_polled_twice_fetches_each_entry_once_and_a_304_costs_nothing(db, site, settings):
    site.put("/feed.xml", rss(site, ["/news/0", "/news/1"]), etag='"v1"')
    feed = Feed.objects.create(url=site.url("/feed.xml"))

    first = feeds.poll(feed)
    assert (first.entries, first.fetched, first.report.imported) == (2, 2, 2)
    assert set(Article.objects.values_list("url", flat=True)) == {
        site.url("/news/0"),
        site.url("/news/1"),
    }
    article = Article.objects.get(url=site.url("/news/0"))
    assert article.title == STORIES[0][0]
    assert "night ferry crossings" in article.body
    assert site.hits("/news/0")[0]["User-Agent"] == settings.FETCH_USER_AGENT
    assert feed.title == "Test Gazette"

    second = feeds.poll(feed)
    assert second.not_modified
    assert site.hits("/feed.xml")[-1]["If-None-Match"] == '"v1"'
    assert len(site.hits("/news/0")) == len(site.hits("/news/1")) == 1
    assert Article.objects.count() == 2

    # The feed changes: only the new entry's page is fetched.
    site.put("/feed.xml", rss(site, ["/news/2", "/news/0", "/news/1"]), etag='"v2"')
    third = feeds.poll(feed)
    assert (third.entries, third.fetched) == (3, 1)
    assert [len(site.hits(f"/news/{n}")) for n in range(3)] == [1, 1, 1]
    assert Article.objects.count() == 3
    feed.refresh_from_db()
    assert (feed.failures, feed.last_error, feed.etag) == (0, "", '"v2"')


def test_a_feed_without_etag_is_asked_with_if_modified_since(db, site):
    site.put("/plain.xml", rss(site, ["/news/0"]))
    feed = Feed.objects.create(url=site.url("/plain.xml"))
    feeds.poll(feed)
    assert feeds.poll(feed).not_modified
    assert site.hits("/plain.xml")[-1]["If-Modified-Since"]


def test_a_broken_feed_is_reported_and_retried_later_without_stopping_the_others(db, site):
    site.put("/good.xml", rss(site, ["/news/1"]))
    site.put("/down.xml", "oops", status=500)
    site.put("/notafeed.xml", "<html><body>Just a page, no feed here</body></html>")
    good = Feed.objects.create(url=site.url("/good.xml"))
    down = Feed.objects.create(url=site.url("/down.xml"), interval_minutes=30)
    page = Feed.objects.create(url=site.url("/notafeed.xml"))

    assert feeds.enqueue_due_polls() == 3  # tasks run as queued in tests

    good.refresh_from_db()
    down.refresh_from_db()
    page.refresh_from_db()
    assert Article.objects.filter(url=site.url("/news/1")).exists()
    assert (good.failures, good.last_error) == (0, "")
    assert down.failures == 1 and "HTTP 500" in down.last_error
    assert page.failures == 1 and "not an RSS or Atom feed" in page.last_error
    # Back-off: the failing feed waits twice its interval, then four times.
    assert down.next_poll_at - down.last_polled_at == timedelta(minutes=60)
    feeds.poll(down)
    down.refresh_from_db()
    assert down.failures == 2 and down.next_poll_at - down.last_polled_at == timedelta(minutes=120)
    # Not due yet: nothing is queued again.
    assert feeds.enqueue_due_polls() == 0


def test_an_oversized_or_missing_page_is_recorded_and_the_other_entries_imported(
    db, site, settings
):
    settings.FETCH_MAX_BYTES = 4000
    site.put("/news/huge", article_page("Huge", "Ferry news. " * 2000))
    site.put("/feed.xml", rss(site, ["/news/huge", "/news/gone", "/news/2"]), etag='"1"')
    feed = Feed.objects.create(url=site.url("/feed.xml"))

    result = feeds.poll(feed)

    assert result.report.imported == 1
    errors = dict(FeedEntry.objects.values_list("url", "error"))
    assert "larger than" in errors[site.url("/news/huge")]
    assert "HTTP 404" in errors[site.url("/news/gone")]
    assert errors[site.url("/news/2")] == ""
    # Failed entries are not fetched again at the next poll either.
    site.put("/feed.xml", rss(site, ["/news/huge", "/news/gone", "/news/2", "/news/0"]), etag='"2"')
    feeds.poll(feed)
    assert len(site.hits("/news/huge")) == len(site.hits("/news/gone")) == 1
    assert Article.objects.count() == 2


def test_fetch_urls_imports_pages_and_skips_what_the_archive_holds(db, site, tmp_path):
    site.put("/files/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    listing = tmp_path / "urls.txt"
    listing.write_text(
        "\n".join(
            [
                "# this week's pages",
                site.url("/news/0"),
                site.url("/news/1"),
                site.url("/files/report.pdf"),
                "ftp://example.org/file",
                site.url("/news/0"),
            ]
        )
    )
    out = io.StringIO()
    call_command("fetch_urls", str(listing), stdout=out, stderr=io.StringIO())
    assert "Imported 2 articles, skipped 0 duplicates, 2 bad records." in out.getvalue()

    out = io.StringIO()
    call_command("fetch_urls", str(listing), stdout=out, stderr=io.StringIO())
    assert "Imported 0 articles, skipped 2 duplicates" in out.getvalue()
    assert len(site.hits("/news/0")) == 1  # known URLs are not fetched again


def test_redirects_are_followed_only_to_web_addresses(db, site):
    from archive.fetching import FetchError, fetch

    site.put("/moved", "", status=302, headers={"Location": site.url("/news/0")})
    site.put("/away", "", status=302, headers={"Location": "ftp://example.org/file"})
    assert fetch(site.url("/moved")).body.startswith(b"<!doctype html>")
    with pytest.raises(FetchError, match="HTTP 302"):
        fetch(site.url("/away"))
    with pytest.raises(FetchError, match="only http"):
        fetch("file:///etc/passwd")


def test_a_server_that_does_not_answer_in_time_is_reported(db, site, settings):
    from archive.fetching import FetchError, fetch

    settings.FETCH_TIMEOUT_SECONDS = 1
    site.put("/slow", article_page(*STORIES[0]), delay=3)
    with pytest.raises(FetchError, match="no answer within 1 seconds"):
        fetch(site.url("/slow"))


def _warc(path, site, gzipped: bool):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def response(url: str, status: str, content_type: str, body: bytes, date: str):
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        return writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            http_headers=headers,
            warc_headers_dict={"WARC-Date": date},
        )

    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        page = STORIES[1]
        html = f"<html><body><article><h1>{page[0]}</h1><p>{page[1]}</p></article></body></html>"
        writer.write_record(
            response(
                "https://gazette.example/ships",
                "200 OK",
                "text/html; charset=utf-8",
                html.encode(),
                "2026-03-02T10:00:00Z",
            )
        )
        writer.write_record(
            response(
                "https://gazette.example/logo.png",
                "200 OK",
                "image/png",
                b"\x89PNG\r\n",
                "2026-03-02T10:00:01Z",
            )
        )
        writer.write_record(
            response(
                "https://gazette.example/old",
                "301 Moved Permanently",
                "text/html",
                b"",
                "2026-03-02T10:00:02Z",
            )
        )


@pytest.mark.parametrize("name", ["capture.warc", "capture.warc.gz"])
def test_a_web_archive_imports_its_html_pages_with_url_and_capture_date(db, site, tmp_path, name):
    path = tmp_path / name
    _warc(path, site, gzipped=name.endswith(".gz"))

    report = import_paths([path], workers=1)

    assert (report.imported, report.skipped, len(report.bad)) == (1, 2, 0)
    assert "2 records that are not pages skipped" in report.summary()
    article = Article.objects.get()
    assert article.url == "https://gazette.example/ships"
    assert article.title == STORIES[1][0]
    assert article.published.date().isoformat() == "2026-03-02"


def test_a_damaged_web_archive_is_a_bad_record_not_a_crash(db, tmp_path):
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(gzip.compress(b"WARC/1.0\r\nthis is not a record") + b"garbage")
    report = import_paths([path], workers=1)
    assert report.imported == 0
    assert [b.message for b in report.bad] and "web archive" in report.bad[0].message


# Import jobs (the admin's upload); in tests the task runs as it is queued, unless a test
# holds it in the dummy backend to play the worker itself.


@pytest.fixture
def held_tasks(settings):
    from django_tasks import default_task_backend

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "imports"],
        }
    }
    return default_task_backend.results


def _jsonl(records) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def test_an_import_job_reads_uploads_and_urls_and_counts_everything(db, site, admin_user):
    records = [
        {"title": t, "body": b, "entities": {"place": ["Tromsø"]}} for t, b in STORIES[:2]
    ] + [{"title": "no body"}, {"title": STORIES[0][0], "body": STORIES[0][1]}]
    upload = SimpleUploadedFile("batch.jsonl.gz", gzip.compress(_jsonl(records)))

    job = jobs.start_import(user=admin_user, files=[upload], urls=[site.url("/news/2")])

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.records_read, job.imported, job.duplicates, job.bad_count) == (5, 3, 1, 1)
    assert job.bad_records[0].startswith("batch.jsonl.gz:3: no body")
    assert job.articles.count() == 3
    assert job.label == "batch.jsonl.gz + 1 URL"
    assert job.created_by == admin_user
    assert job.folder and not os.path.exists(job.folder)  # uploads cleaned up


def test_a_queued_job_cancelled_never_runs(db, admin_user, held_tasks):
    upload = SimpleUploadedFile("a.jsonl", _jsonl([{"body": STORIES[0][1]}]))
    job = jobs.start_import(user=admin_user, files=[upload], urls=[])
    jobs.cancel(job)
    job.refresh_from_db()
    jobs.run_job(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert Article.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # the job's watch thread reads what the test wrote
def test_a_running_job_stops_when_cancelled_and_keeps_what_it_stored(
    admin_user, monkeypatch, held_tasks, settings
):
    from functools import partial

    from search.query import SearchParams, run_search

    records = [{"body": f"{STORIES[0][1]} Item {n}.", "entities": {}} for n in range(40)]
    job = jobs.start_import(
        user=admin_user, files=[SimpleUploadedFile("a.jsonl", _jsonl(records))], urls=[]
    )
    # Small batches, so some are stored (and indexed) before the curator cancels.
    settings.EXTRACTION_BATCH_SIZE = 8
    monkeypatch.setattr("archive.ingest.DEDUP_BATCH", 4)
    monkeypatch.setattr(
        jobs, "import_records", partial(import_records, store_batch=5, index_batch=5)
    )
    real_save = jobs._Progress.save

    def save_then_cancel(self, report):
        real_save(self, report)
        if report.read == 24:
            ImportJob.objects.filter(pk=self.job.pk).update(cancel_requested=True)
            # The job's watch thread looks once a second; the import stops at its next step.
            time.sleep(2.5)

    monkeypatch.setattr(jobs._Progress, "save", save_then_cancel)
    monkeypatch.setattr(jobs._Progress, "__call__", _every_record(jobs._Progress.__call__))
    jobs.run_job(job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert job.records_read < 40
    assert 0 < job.imported == Article.objects.count() < 40
    assert run_search(SearchParams(q="ferry")).count == job.imported  # and searchable


def _every_record(call):
    def every(self, report):
        self.saved_at = 0  # no once-a-second throttle in a test
        return call(self, report)

    return every


def test_a_stalled_job_is_queued_again_and_finishes_without_doubles(db, admin_user, held_tasks):
    """What a worker restart does for a job whose worker was killed (the whole path, with
    real processes, is tests/archive/test_worker.py)."""
    records = [{"body": f"{STORIES[1][1]} Note {n}.", "entities": {}} for n in range(12)]
    job = jobs.start_import(
        user=admin_user, files=[SimpleUploadedFile("a.jsonl", _jsonl(records))], urls=[]
    )
    # A first attempt stored 5 articles, then its worker died.
    import_records(
        [article_from_fields(f"a.jsonl:{n}", r) for n, r in enumerate(records[:5], start=1)],
        job_id=job.pk,
        workers=1,
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )

    assert jobs.retry_stalled_jobs() == 1
    # The dummy backend keeps no task rows to put back, so a new task is queued.
    assert [r.args for r in held_tasks] == [[job.pk], [job.pk]]
    job.refresh_from_db()
    jobs.run_job(job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.imported, job.duplicates, job.attempts) == (12, 0, 2)
    assert Article.objects.count() == 12
