"""Polling RSS and Atom feeds: conditional GET, each new entry's page fetched once, and a
failing feed retried later and later, with its last error kept for the admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import feedparser
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from archive.fetching import FetchError, fetch, read_urls
from archive.ingest import ImportReport, import_records
from archive.models import Article, Feed, FeedEntry

logger = logging.getLogger(__name__)
# A failing feed waits its interval, doubled per failure in a row, but never more than this.
MAX_BACKOFF = timedelta(days=1)
# Entries looked at a poll; a feed lists its newest first.
MAX_ENTRIES = 200


@dataclass
class PollResult:
    not_modified: bool = False
    entries: int = 0
    fetched: int = 0
    report: ImportReport | None = None
    error: str = ""


def poll(feed: Feed) -> PollResult:
    """Poll one feed now and import the pages of entries it has not fetched before."""
    now = timezone.now()
    feed.last_polled_at = now
    try:
        answer = fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if answer.status == 304:
            _succeeded(feed)
            return PollResult(not_modified=True)
        parsed = feedparser.parse(answer.body, response_headers={"content-location": answer.url})
        if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
            raise FetchError(f"not an RSS or Atom feed ({parsed.get('bozo_exception', '')})")
    except FetchError as exc:
        return _failed(feed, str(exc))
    feed.etag = answer.headers.get("ETag", "")[:300]
    feed.last_modified = answer.headers.get("Last-Modified", "")[:100]
    feed.title = feed.title or parsed.feed.get("title", "")[:300]
    links = _entry_links(parsed)
    new = _not_fetched(feed, links)
    report = import_records(read_urls(new), workers=1, index_each_batch=True)
    errors = {record.origin: record.message for record in report.bad}
    stored = dict(Article.objects.filter(url__in=new).values_list("url", "pk"))
    FeedEntry.objects.bulk_create(
        [
            FeedEntry(feed=feed, url=url, article_id=stored.get(url), error=errors.get(url, ""))
            for url in new
        ],
        ignore_conflicts=True,
    )
    _succeeded(feed)
    return PollResult(entries=len(links), fetched=len(new), report=report)


def _entry_links(parsed) -> list[str]:
    links = (entry.get("link", "") for entry in parsed.entries[:MAX_ENTRIES])
    return list(dict.fromkeys(link for link in links if link.startswith(("http://", "https://"))))


def _not_fetched(feed: Feed, links: list[str]) -> list[str]:
    """Entries neither fetched from this feed before nor already in the archive."""
    known = set(FeedEntry.objects.filter(feed=feed, url__in=links).values_list("url", flat=True))
    known |= set(Article.objects.filter(url__in=links).values_list("url", flat=True))
    return [link for link in links if link not in known]


def _succeeded(feed: Feed) -> None:
    feed.failures = 0
    feed.last_error = ""
    feed.last_success_at = feed.last_polled_at
    feed.next_poll_at = feed.last_polled_at + timedelta(minutes=feed.interval_minutes)
    feed.save()


def _failed(feed: Feed, error: str) -> PollResult:
    feed.failures += 1
    feed.last_error = error
    wait = min(timedelta(minutes=feed.interval_minutes) * 2**feed.failures, MAX_BACKOFF)
    feed.next_poll_at = feed.last_polled_at + wait
    feed.save()
    logger.warning("Feed %s failed (%d in a row): %s", feed.url, feed.failures, error)
    return PollResult(error=error)


@task()
def poll_feed(feed_id: int) -> None:
    feed = Feed.objects.filter(pk=feed_id, active=True).first()
    if feed is None:
        return
    try:
        poll(feed)
    except Exception as exc:
        # Whatever broke, the feed's page says so and the feed is polled again later.
        logger.exception("Polling feed %s failed", feed.url)
        feed.last_polled_at = timezone.now()
        _failed(feed, f"the poll failed: {type(exc).__name__}: {exc}"[:1000])


def enqueue_due_polls() -> int:
    """Queue a poll of every active feed that is due; returns how many."""
    now = timezone.now()
    due = Feed.objects.filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), active=True)
    queued = 0
    for feed in due:
        # Claimed by moving its next poll on, so a second worker's clock does not queue it too;
        # the poll itself sets the real next time.
        claimed = Feed.objects.filter(pk=feed.pk, next_poll_at=feed.next_poll_at).update(
            next_poll_at=now + timedelta(minutes=feed.interval_minutes)
        )
        if claimed:
            poll_feed.enqueue(feed.pk)
            queued += 1
    return queued
