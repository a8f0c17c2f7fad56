"""Is the index in step with the database? Find and repair drift, or rebuild a broken index.

The database is the record. An import killed between its database commit and its index commit,
or an index write that failed, leaves articles missing from the index, index entries whose
article is gone, or entries that hold an older version of their article (its text, date or
entities); `check_index` finds all three, comparing a digest of each article's indexed content
with the database's a batch at a time, and repairs them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

from haystack import connections

from archive.models import Article, attach_entity_names
from search.indexing import BATCH_SIZE, finish_background, index_articles, unindex_articles
from search.search_indexes import content_digest
from search.segment_writer import abandoned_staging


class IndexUnreadable(RuntimeError):
    """The index folder is missing or damaged; only a rebuild helps."""


@dataclass
class Drift:
    missing: set[int]  # in the database, not in the index
    stale: set[int]  # in the index, not in the database
    outdated: set[int] = field(default_factory=set)  # indexed with other content

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.outdated)


def find_drift(using: str = "default") -> Drift:
    backend = connections[using].get_backend()
    try:
        indexed = {int(pk): digest for pk, digest in backend.indexed_digests().items()}
    except Exception as exc:  # Whoosh raises many kinds of errors on damaged files
        path = connections.connections_info[using].get("PATH", "")
        raise IndexUnreadable(f"The search index at {path} cannot be read ({exc}).") from exc
    stored = set(Article.objects.values_list("pk", flat=True))
    outdated = set()
    both = sorted(stored & indexed.keys())
    for start in range(0, len(both), BATCH_SIZE):
        articles = list(Article.objects.filter(pk__in=both[start : start + BATCH_SIZE]))
        attach_entity_names(articles)
        for article in articles:
            if content_digest(article) != indexed[article.pk]:
                outdated.add(article.pk)
    return Drift(missing=stored - indexed.keys(), stale=indexed.keys() - stored, outdated=outdated)


def remove_abandoned_staging(using: str = "default") -> int:
    """Remove what imports killed outright were writing beside the index (their articles are
    missing from the index, which `repair` indexes); how many folders went."""
    abandoned = abandoned_staging(connections[using].get_backend().path)
    for folder in abandoned:
        shutil.rmtree(folder, ignore_errors=True)
    return len(abandoned)


def repair(drift: Drift, using: str = "default") -> None:
    if drift.stale:
        unindex_articles(drift.stale, using=using)
    if drift.missing or drift.outdated:
        index_articles(drift.missing | drift.outdated, using=using)


def rebuild(using: str = "default", on_progress: Callable[[int], None] | None = None) -> int:
    """Throw the index away and index every article again, a batch (one commit) at a time."""
    backend = connections[using].get_backend()
    backend.delete_index()  # recreates an empty index, whatever state the folder was in
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        # Each batch is written while the next is read from the database.
        index_articles(ids[start : start + BATCH_SIZE], using=using, background=True)
        if on_progress:
            on_progress(len(ids[start : start + BATCH_SIZE]))
    finish_background()
    return len(ids)
