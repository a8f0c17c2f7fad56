"""An import's batches written into the Whoosh index by a forked process while the import
goes on (search/indexing.py hands them over through the engine's `write(background=True)`)."""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import threading
from multiprocessing.reduction import ForkingPickler

from archive.models import Article
from archive.signals import indexing_failed

logger = logging.getLogger(__name__)
# An import's batches written in the background go into one segment until it holds this many
# articles (about 250 MB of postings while it is written): a 100,000-article import writes
# seven segments and merges none, while 2,000-article segments had to be merged (rewritten)
# ten at a time, at 1.8 ms an article each time (bench/RESULTS.md). The articles become
# searchable when their segment is published.
SEGMENT_ARTICLES = 15_000
# Prepared batches that may wait (pickled, about 7 MB each) for the background writer while
# it publishes a segment, so that the import goes on meanwhile: 30,000 articles imported at
# 302 articles/s, against 265 when each batch waited for the one before (bench/RESULTS.md).
QUEUED_BATCHES = 3


class _BackgroundWriter:
    """A forked process that writes an import's batches into the index while the import
    goes on: each batch is added to a segment staged beside the index, published once it
    holds SEGMENT_ARTICLES articles, or at `finish`.

    Documents are prepared (read from the database, analyzed) here and sent over a pipe, so
    the child touches only the index files. It is forked once, at the first batch, and lives
    until `finish`: a child forked per batch would share, page by page, whatever this
    process holds at that moment, and every page either of them touched would be copied.

    A thread of this process hands the batches over, one at a time, and waits for each
    answer, so the import goes on storing while the child publishes a segment (seconds);
    up to QUEUED_BATCHES prepared batches wait for it meanwhile. Failures are announced
    from the importing thread, at its next batch or at `finish`."""

    def __init__(self) -> None:
        self._process = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._failures: list[tuple[list[int], str]] = []

    def start(self, backend, docs: list[dict], ids: list[int]) -> None:
        if self._process is None:
            context = multiprocessing.get_context("fork")
            connection, child_end = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(backend, child_end, os.getpid(), connection), daemon=True
            )
            self._process.start()
            child_end.close()
            self._queue = queue.Queue(maxsize=QUEUED_BATCHES)
            self._thread = threading.Thread(
                target=self._hand_over, args=(connection,), name="index-writer", daemon=True
            )
            self._thread.start()
        # Pickled here: a batch's documents take about 80 MB as objects, 7 MB pickled.
        self._queue.put((ForkingPickler.dumps(docs), ids))
        self._announce_failures()

    def finish(self) -> None:
        if self._process is None:
            return
        self._queue.put(None)
        self._thread.join()
        self._process.join()
        self._process = self._queue = self._thread = None
        self._announce_failures()

    def _hand_over(self, connection) -> None:
        """The thread's loop: each batch goes to the child, which answers once it has it
        staged (or published); at the end, what it holds is published and it is stopped."""
        unpublished: list[int] = []
        try:
            while True:
                item = self._queue.get()
                if item is None and not unpublished:
                    return
                payload, ids = item or (ForkingPickler.dumps("publish"), [])
                unpublished += ids
                # If it has died, recv says so, for everything it had not published.
                with contextlib.suppress(OSError):
                    connection.send_bytes(payload)
                try:
                    error, published = connection.recv()
                except (EOFError, OSError):
                    error, published = "the indexing process ended without an answer", True
                if error:
                    self._failures.append((unpublished, error))
                if published:
                    unpublished = []
                if item is None:
                    return
                del payload, item
        finally:
            with contextlib.suppress(OSError):  # it has ended already
                connection.send(None)
            connection.close()

    def _announce_failures(self) -> None:
        while self._failures:
            ids, error = self._failures.pop(0)
            logger.error("Could not index articles %s in the background: %s", ids[:20], error)
            indexing_failed.send(sender=Article, ids=ids, error=error)


def _serve(backend, connection, parent: int, parents_end) -> None:
    # The fork gave this process a copy of the parent's end of the pipe. Closed here, so that
    # a parent killed halfway through sending a batch leaves recv an end of file, rather than
    # a wait, forever, for the rest of the batch.
    parents_end.close()
    staged = None
    while True:
        # A killed importer cannot say goodbye, and other children it forked may keep the
        # pipe open: the writer also stops when its parent is gone, publishing what it has.
        while not connection.poll(1.0):
            if os.getppid() != parent:
                message = "publish" if staged else None
                break
        else:
            try:
                message = connection.recv()
            except EOFError:
                message = "publish" if staged else None
        if message is None:
            return
        # Half a million posting arrays a batch and no cycles among them: the cycle
        # collector would only scan them again and again, so it runs once per batch.
        gc.disable()
        try:
            if message != "publish":
                staged = backend.stage_documents(message, staged)
            published = message == "publish" or staged.count >= SEGMENT_ARTICLES
            if published and staged is not None:
                backend.publish_staged(staged)
                staged = None
        except BaseException as exc:
            if staged is not None:
                staged.discard()
                staged = None
            answer = (f"{type(exc).__name__}: {exc}", True)
        else:
            answer = ("", published)
        del message
        gc.enable()
        gc.collect()
        with contextlib.suppress(OSError):
            connection.send(answer)
        if os.getppid() != parent:
            return


BACKGROUND = _BackgroundWriter()
