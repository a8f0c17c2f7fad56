"""Keeping the index in step with the database, a batch at a time."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from haystack import connections
from haystack.utils import get_identifier

from archive.models import Article

logger = logging.getLogger(__name__)
# One index commit (one Whoosh segment) per batch: larger segments cost less per article to
# write and need fewer merges; 2,000 articles with their bodies stay a few megabytes.
BATCH_SIZE = 2000


def _backend_and_index(using: str = "default"):
    connection = connections[using]
    return connection.get_backend(), connection.get_unified_index().get_index(Article)


def index_articles(ids: Iterable[int], using: str = "default") -> None:
    """Index these articles as they are now; ids of deleted articles leave the index."""
    backend, index = _backend_and_index(using)
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        articles = list(index.index_queryset(using=using).filter(pk__in=chunk))
        backend.update(index, articles)
        gone = set(chunk) - {a.pk for a in articles}
        if gone:
            unindex_articles(gone, using=using)


def unindex_articles(ids: Iterable[int], using: str = "default") -> None:
    backend, _ = _backend_and_index(using)
    identifiers = [get_identifier(f"archive.article.{pk}") for pk in ids]
    if identifiers:
        backend.remove_identifiers(identifiers)
