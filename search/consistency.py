"""Is the index in step with the database? Find and repair drift, or rebuild a broken index.

The database is the record. An import killed between its database commit and its index commit,
or an index write that failed, leaves articles missing from the index, index entries whose
article is gone, or entries that hold an older version of their article (its text, date or
entities); `check_index` finds all three, comparing a digest of each article's indexed content
with the database's a batch at a time, and repairs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archive.models import Article, attach_entity_names
from search.engines import get_engine
from search.engines.base import EngineUnavailable
from search.indexing import BATCH_SIZE, finish_background, index_articles, unindex_articles
from search.search_indexes import content_digest


class IndexUnreadable(RuntimeError):
    """The index is missing, damaged or cannot be reached; only a rebuild (or the engine's
    return) helps."""


@dataclass
class Drift:
    missing: set[int]  # in the database, not in the index
    stale: set[int]  # in the index, not in the database
    outdated: set[int] = field(default_factory=set)  # indexed with other content

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.outdated)


def find_drift() -> Drift:
    try:
        indexed = get_engine().digests()
    except EngineUnavailable as exc:
        raise IndexUnreadable(str(exc)) from exc
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


def remove_abandoned_staging() -> int:
    """Remove what imports killed outright were writing beside the index (their articles are
    missing from the index, which `repair` indexes); how many things went."""
    return get_engine().tidy()


def repair(drift: Drift) -> None:
    if drift.stale:
        unindex_articles(drift.stale)
    if drift.missing or drift.outdated:
        index_articles(drift.missing | drift.outdated)


def rebuild(on_progress: Callable[[int], None] | None = None) -> int:
    """Throw the index away and index every article again, a batch (one commit) at a time."""
    get_engine().reset()
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        # Each batch is written while the next is read from the database.
        index_articles(ids[start : start + BATCH_SIZE], background=True)
        if on_progress:
            on_progress(len(ids[start : start + BATCH_SIZE]))
    finish_background()
    return len(ids)
