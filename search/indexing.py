"""Keeping the index in step with the database, a batch at a time."""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
from collections.abc import Iterable

from haystack import connections
from haystack.utils import get_identifier

from archive.models import Article
from archive.signals import indexing_failed

logger = logging.getLogger(__name__)
# One index commit (one Whoosh segment) per batch: larger segments cost less per article to
# write; 2,000 articles' postings take about 150 MB while they are written.
BATCH_SIZE = 2000


def _backend_and_index(using: str = "default"):
    connection = connections[using]
    return connection.get_backend(), connection.get_unified_index().get_index(Article)


def index_articles(ids: Iterable[int], using: str = "default", background: bool = False) -> None:
    """Index these articles as they are now; ids of deleted articles leave the index.

    With `background`, the last batch is written by a forked process while the caller goes
    on (an import storing its next batch); whatever indexes next waits for it first, and
    `finish_background` waits for it explicitly."""
    backend, index = _backend_and_index(using)
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        docs = backend.prepare_documents(
            index, index.index_queryset(using=using).filter(pk__in=chunk)
        )
        gone = set(chunk) - {int(doc["django_id"]) for doc in docs}
        if gone:
            unindex_articles(gone, using=using)
        if background and start + BATCH_SIZE >= len(ids):
            _BACKGROUND.start(backend, docs, chunk)
        else:
            finish_background()
            backend.write_documents(docs)
    if not ids:
        finish_background()


def unindex_articles(ids: Iterable[int], using: str = "default") -> None:
    finish_background()
    backend, _ = _backend_and_index(using)
    identifiers = [get_identifier(f"archive.article.{pk}") for pk in ids]
    if identifiers:
        backend.remove_identifiers(identifiers)


def finish_background() -> None:
    """Wait for a batch being written in the background and stop the writing process; a
    failure is announced with `indexing_failed`, as for any batch."""
    _BACKGROUND.finish()


class _BackgroundWriter:
    """A forked process that writes batches of documents into the index, one at a time,
    while this one goes on.

    Documents are prepared (read from the database) here and sent over a pipe, so the
    child touches only the index files. It is forked once, at the first batch, and lives
    until `finish`: a child forked per batch would share, page by page, whatever this
    process holds at that moment, and every page either of them touched would be copied."""

    def __init__(self) -> None:
        self._process = None
        self._connection = None
        self._ids: list[int] | None = None

    def start(self, backend, docs: list[dict], ids: list[int]) -> None:
        self._wait()  # batches commit in the order they were stored
        if self._process is None:
            context = multiprocessing.get_context("fork")
            self._connection, child_end = context.Pipe()
            self._process = context.Process(target=_serve, args=(backend, child_end), daemon=True)
            self._process.start()
            child_end.close()
        self._connection.send(docs)
        self._ids = ids

    def finish(self) -> None:
        self._wait()
        if self._process is not None:
            process, connection = self._process, self._connection
            self._process = self._connection = None
            with contextlib.suppress(OSError):  # it has ended already
                connection.send(None)
            process.join()
            connection.close()

    def _wait(self) -> None:
        if self._ids is None:
            return
        ids, self._ids = self._ids, None
        try:
            error = self._connection.recv()
        except (EOFError, OSError):
            error = "the indexing process ended without an answer"
        if error:
            logger.error("Could not index articles %s in the background: %s", ids[:20], error)
            indexing_failed.send(sender=Article, ids=ids, error=error)


def _serve(backend, connection) -> None:
    while True:
        try:
            docs = connection.recv()
        except EOFError:  # the importing process has died
            return
        if docs is None:
            return
        # Half a million posting tuples a batch, with no cycles among them: the cycle
        # collector would only scan them again and again, so it runs once per batch.
        gc.disable()
        try:
            backend.write_documents(docs)
        except BaseException as exc:
            connection.send(f"{type(exc).__name__}: {exc}")
        else:
            connection.send("")
        del docs
        gc.enable()
        gc.collect()


_BACKGROUND = _BackgroundWriter()
