"""Keeping the index in step with the database, a batch at a time, on whichever engine the
archive runs (search/engines)."""

from __future__ import annotations

from collections.abc import Iterable

from archive.models import Article
from search.engines import get_engine

# Articles read from the database, prepared and written (one commit) at a time; also what an
# import hands the engine at a time.
BATCH_SIZE = 2000


def index_articles(ids: Iterable[int], background: bool = False) -> None:
    """Index these articles as they are now; ids of deleted articles leave the index.

    With `background`, the engine may go on writing the last batch after this returns (an
    import's batches); `finish_background`, which anything indexing in the foreground calls
    first, waits for it."""
    engine = get_engine()
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        docs = engine.prepare(Article.objects.order_by("pk").filter(pk__in=chunk))
        gone = set(chunk) - {int(doc["django_id"]) for doc in docs}
        if gone:
            unindex_articles(gone)
        engine.write(docs, background=background and start + BATCH_SIZE >= len(ids))
    if not ids:
        engine.finish_writes()


def unindex_articles(ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        get_engine().remove(ids)


def finish_background() -> None:
    """Wait for what the engine writes in the background; a failure is announced with
    `indexing_failed` for every article it had not written."""
    get_engine().finish_writes()
