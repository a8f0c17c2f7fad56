"""Index updates driven by the archive's signals and by edits of single articles.

One path: every change (a batch announced by `articles_changed`, a saved or deleted article
or mention) adds its article ids to this thread's pending set, which is indexed once when
the transaction commits (at once outside a transaction). A re-extraction or a merge that
touches many mentions therefore indexes each article once. A bulk import's batches
(`bulk=True`, sent outside any transaction) are written by a forked process while the import
stores the next batch; its next ordinary send waits for them.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction
from django.db.models import signals
from haystack.signals import BaseSignalProcessor

from archive.models import Article, Mention
from archive.signals import articles_changed, indexing_failed
from search.indexing import index_articles

logger = logging.getLogger(__name__)


def _safely(action, ids) -> None:
    # The database is the record; an index failure is logged and repaired by check_index.
    try:
        action(ids)
    except Exception as exc:
        logger.exception("Could not update the search index for articles %s", sorted(ids)[:20])
        indexing_failed.send(sender=Article, ids=sorted(ids), error=f"{type(exc).__name__}: {exc}")


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

    def on_articles_changed(self, sender, ids, bulk=False, **kwargs):
        if bulk:
            _safely(lambda batch: index_articles(batch, background=True), ids)
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
    _pending.ids.update(article_ids)
    # Every registration flushes the whole set; the first to run does the work.
    after_commit(_flush)


def after_commit(func) -> None:
    transaction.on_commit(func)


def _flush() -> None:
    ids, _pending.ids = getattr(_pending, "ids", set()), set()
    # Also with no ids: a bulk batch still being written in the background is waited for.
    _safely(index_articles, ids)
