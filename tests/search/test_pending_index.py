"""What a committed edit owes the index is written down with the edit and replayed: a process
killed between the commit and the index write, or an index locked past the edit's patience,
leaves nothing for a person to repair with check_index."""

import json
import os
import signal
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from haystack.exceptions import SearchBackendError

from archive.curation import merge_entities
from archive.models import Article, Entity
from search.models import PendingIndexChange
from search.query import SearchParams, run_search
from search.signals import replay_pending
from tests.factories import make_article
from tests.processes import archive_processes

pytestmark = pytest.mark.django_db(transaction=True)


def found(q: str) -> int:
    return run_search(SearchParams(q=q)).count


def age_pending() -> None:
    PendingIndexChange.objects.update(changed_at=timezone.now() - timedelta(minutes=5))


def test_an_edit_indexed_as_usual_leaves_nothing_pending():
    article = make_article("Harbour strike ends")
    article.title = "Harbour lockout ends"
    article.save()
    assert found("lockout") == 1
    assert not PendingIndexChange.objects.exists()


def test_a_merge_whose_process_died_after_its_commit_is_indexed_by_the_replay(monkeypatch):
    make_article("Ferry strike", organization=("Nordlys Shipping",))
    make_article("Ferry order", organization=("Nordlys Shipping AS",))
    survivor = Entity.objects.get(name="Nordlys Shipping")
    other = Entity.objects.get(name="Nordlys Shipping AS")
    # The process ends between the commit and the index write: the flush never runs.
    monkeypatch.setattr("search.signals.after_commit", lambda func: None)
    merge_entities(survivor, [other])
    monkeypatch.undo()
    narrowed = SearchParams(selected={"organization": (str(survivor.pk),)})
    assert run_search(narrowed).count == 1  # the index still files one under the old entity
    assert PendingIndexChange.objects.count() == 1

    assert replay_pending() == 0  # too fresh: its own flush may still be on the way
    age_pending()
    assert replay_pending() == 1
    assert run_search(narrowed).count == 2
    assert not PendingIndexChange.objects.exists()


def test_an_edit_while_the_index_is_locked_is_replayed_once_it_is_free(monkeypatch):
    article = make_article("Harbour strike ends")
    backend_class = "search.engines.whoosh.backend.ArchiveWhooshSearchBackend.write_documents"

    def locked(self, docs):
        raise SearchBackendError("The search index stayed locked by another writer for 120 s.")

    with monkeypatch.context() as patched:
        patched.setattr(backend_class, locked)
        with transaction.atomic():
            Article.objects.filter(pk=article.pk).update(title="Harbour lockout ends")
            Article.objects.get(pk=article.pk).save()
        age_pending()
        assert replay_pending() == 0  # still locked: kept for the next try
    assert found("lockout") == 0
    assert PendingIndexChange.objects.filter(article_id=article.pk).exists()
    assert replay_pending() == 1
    assert found("lockout") == 1


KILLED_AFTER_COMMIT = """
import os
from django.db import transaction
from archive.models import Article
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(9))  # before the edit's own index flush
    article = Article.objects.get()
    article.title = "Harbour lockout ends"
    article.save()
"""


@pytest.mark.slow
def test_a_process_killed_after_its_commit_leaves_the_index_to_the_worker(tmp_path):
    corpus = tmp_path / "one.jsonl"
    corpus.write_text(json.dumps({"title": "Harbour strike ends", "body": "The strike ended."}))
    with archive_processes(tmp_path, WORKER_TICK_SECONDS="1", EXTRACTION_WORKERS="1") as archive:
        archive.manage("migrate", "-v0", check=True)
        archive.manage("import_articles", str(corpus), check=True)
        killed = archive.manage("shell", "-c", KILLED_AFTER_COMMIT)
        assert killed.returncode == 9
        before = archive.manage("check_index", "--dry-run").stdout
        assert "1 indexed with older content" in before, before
        worker = archive.start_worker()
        try:
            deadline = time.monotonic() + 90
            while archive.scalar("SELECT count(*) FROM search_pendingindexchange"):
                assert time.monotonic() < deadline, "the worker never replayed the change"
                time.sleep(1)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        after = archive.manage("check_index", "--dry-run").stdout
        assert "The index matches the database." in after, after


def test_articles_a_feed_poll_stored_are_owed_to_the_index_in_the_same_transaction(monkeypatch):
    from archive.importers import RawArticle
    from archive.ingest import import_records

    # The process dies after each commit, before its index flush.
    monkeypatch.setattr("search.signals.after_commit", lambda func: None)
    raw = RawArticle(origin="feed", title="Night ferry", body="A night ferry to Tromsø.")
    report = import_records([raw], workers=1, index_each_batch=True)
    monkeypatch.undo()
    assert report.imported == 1
    assert found("ferry") == 0
    assert PendingIndexChange.objects.count() == 1
    age_pending()
    assert replay_pending() == 1
    assert found("ferry") == 1


def test_a_large_edit_is_indexed_by_the_worker_and_the_click_returns_first(monkeypatch):
    from search import signals

    for n in range(4):
        make_article(f"Port note {n}", organization=("Harbour Board",) if n % 2 else ("HB",))
    monkeypatch.setattr(signals, "FOREGROUND_INDEX_LIMIT", 1)
    queued, worker_task = [], signals.index_later

    class Queue:  # as the database backend does: queued for the worker, not run
        def enqueue(self, ids):
            queued.append(ids)

    monkeypatch.setattr(signals, "index_later", Queue())
    board, short = Entity.objects.get(name="Harbour Board"), Entity.objects.get(name="HB")
    merge_entities(board, [short])
    assert len(queued) == 1 and len(queued[0]) == 2
    # Until the worker runs it, the index is behind and the journal says so.
    organization = SearchParams(selected={"organization": (str(board.pk),)})
    assert run_search(organization).count == 2
    assert PendingIndexChange.objects.count() == 2
    assert worker_task.call(queued[0]) == 2
    assert run_search(organization).count == 4
    assert not PendingIndexChange.objects.exists()
