"""Index updates driven by the archive's signals and by edits of single articles.

One path: every change (a batch announced by `articles_changed`, a saved or deleted article
or mention) adds its article ids to this thread's pending set, which is indexed once when
the transaction commits (at once outside a transaction). A re-extraction or a merge that
touches many mentions therefore indexes each article once. A bulk import's batches
(`bulk=True`, sent outside any transaction) are written by a forked process while the import
stores the next batch; its next ordinary send waits for them.

What an edit owes the index is also written down, in the edit's own transaction
(`PendingIndexChange`), and crossed off once indexed: if the process dies after the commit,
or the index stays locked past WRITE_LOCK_TIMEOUT (a tier merge), `replay_pending` indexes
it later, from the worker's clock (not in a request: a replay may hold thousands).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import transaction
from django.db.models import signals
from django.utils import timezone
from django_tasks import task
from haystack.signals import BaseSignalProcessor

from archive.models import Article, Mention
from archive.signals import articles_changed, indexing_failed
from search.indexing import index_articles
from search.models import PendingIndexChange

logger = logging.getLogger(__name__)


# Pending changes younger than this belong to an edit whose own flush is about to run.
REPLAY_AFTER = timedelta(seconds=30)
# A curator's edit (`articles_changed` with `edit=True`) touching more articles than this is
# indexed by the worker, not in the request:
# indexing one process's way takes about 5 ms an article at 100,000 (bench/RESULTS.md,
# "A curator's click").
FOREGROUND_INDEX_LIMIT = 500
REPLAY_BATCH = 2000


def _safely(action, ids) -> bool:
    # The database is the record; an index failure is logged, and the journal (or, for an
    # import's batches, the import's report and check_index) sees it repaired.
    try:
        action(ids)
    except Exception as exc:
        logger.exception("Could not update the search index for articles %s", sorted(ids)[:20])
        indexing_failed.send(sender=Article, ids=sorted(ids), error=f"{type(exc).__name__}: {exc}")
        return False
    return True


class ArchiveSignalProcessor(BaseSignalProcessor):
    def setup(self):
        articles_changed.connect(self.on_articles_changed)
        signals.post_save.connect(self.on_article_saved, sender=Article)
        signals.post_delete.connect(self.on_article_deleted, sender=Article)
        signals.post_save.connect(self.on_mention_changed, sender=Mention)
        signals.post_delete.connect(self.on_mention_changed, sender=Mention)

    def teardown(self):
        articles_changed.disconnect(self.on_articles_changed)
        signals.post_save.disconnect(self.on_article_saved, sender=Article)
        signals.post_delete.disconnect(self.on_article_deleted, sender=Article)
        signals.post_save.disconnect(self.on_mention_changed, sender=Mention)
        signals.post_delete.disconnect(self.on_mention_changed, sender=Mention)

    def on_articles_changed(self, sender, ids, bulk=False, edit=False, **kwargs):
        if bulk:
            _safely(lambda batch: index_articles(batch, background=True), ids)
        elif edit and len(ids) > FOREGROUND_INDEX_LIMIT:
            # A curator's merge of a much-named entity: the click answers now and the worker
            # indexes, once the edit is committed; the journal holds the ids meanwhile,
            # whatever happens to the task.
            ids = sorted(ids)
            _journal(ids)
            after_commit(lambda: index_later.enqueue(ids))
        else:
            _schedule(ids)

    def on_article_saved(self, sender, instance, **kwargs):
        _schedule([instance.pk])

    def on_article_deleted(self, sender, instance, **kwargs):
        _schedule([instance.pk])

    def on_mention_changed(self, sender, instance, **kwargs):
        _schedule([instance.article_id])


_pending = threading.local()


def _schedule(article_ids) -> None:
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    ids = set(article_ids)
    _pending.ids.update(ids)
    # Written every time, not only for ids new to this thread: ids left pending by a
    # transaction that was rolled back were never journaled by a commit.
    if ids:
        _journal(ids)
    # Every registration flushes the whole set; the first to run does the work.
    after_commit(_flush)


def _journal(ids) -> None:
    now = timezone.now()
    PendingIndexChange.objects.bulk_create(
        [PendingIndexChange(article_id=pk, changed_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["article_id"],
        update_fields=["changed_at"],
    )


def after_commit(func) -> None:
    transaction.on_commit(func)


def _flush() -> None:
    ids, _pending.ids = getattr(_pending, "ids", set()), set()
    started = timezone.now()
    # Also with no ids: a bulk batch still being written in the background is waited for.
    if _safely(index_articles, ids) and ids:
        _cross_off(ids, started)


@task(queue_name="curation")
def index_later(article_ids: list[int]) -> int:
    """Index a large edit's articles in the worker; returns how many."""
    started = timezone.now()
    if _safely(index_articles, article_ids):
        _cross_off(article_ids, started)
    return len(article_ids)


def _cross_off(ids, indexed_from) -> None:
    # A change journaled after the index read the articles stays for the next flush.
    PendingIndexChange.objects.filter(article_id__in=ids, changed_at__lte=indexed_from).delete()


def replay_pending() -> int:
    """Index the changes that edits committed but never got into the index; returns how many
    were indexed (the worker's clock runs this every tick)."""
    cutoff = timezone.now() - REPLAY_AFTER
    ids = list(
        PendingIndexChange.objects.filter(changed_at__lte=cutoff)
        .order_by("changed_at")
        .values_list("article_id", flat=True)[:REPLAY_BATCH]
    )
    if not ids:
        return 0
    started = timezone.now()
    if not _safely(index_articles, ids):
        return 0
    _cross_off(ids, started)
    logger.warning("Indexed %d article changes an earlier edit had left pending", len(ids))
    return len(ids)
