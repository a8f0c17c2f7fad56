"""How a search worker manages its memory: freed arrays are kept for the next search, and
the objects it holds for good are left out of garbage collection.

A search allocates numpy arrays of a few megabytes (a facet's entries for each hit) and frees
them at once. glibc serves allocations that large with fresh mmap()s and unmaps them when
freed, so every search page-faults its way through new memory again: at 100,000 articles that
doubled the time of counting a facet (organizations of "oil": 6.6 ms, 3.0 ms with the heap
kept; bench/RESULTS.md). A search worker keeps a few tens of megabytes instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

logger = logging.getLogger(__name__)

# mallopt() parameters, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Allocations below this come from the heap, and are reused once freed...
HEAP_UP_TO = 64 * 2**20
# ...which returns its free top to the system only when this much is free.
KEEP_FREE = 64 * 2**20


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to reuse freed memory for large arrays; False where the C library
    is not glibc (the process then works as before, only slower)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        logger.info("Not glibc: large search arrays are unmapped when freed.")
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, HEAP_UP_TO)) and bool(
        mallopt(_M_TRIM_THRESHOLD, KEEP_FREE)
    )


# A search request allocates tens of thousands of objects (a result page's mentions and
# entities) and keeps none: collecting every 700 allocations (Python's default) ran the
# collector six times a request.
YOUNG_COLLECTION_EVERY = 20_000


def freeze_warm_objects() -> None:
    """Leave the objects loaded so far (the vocabulary, term tables: about 100,000) out of
    every later collection, and collect young objects less often. At 100,000 articles this
    took the collector's time from 3.6 to 0.8 ms a request (bench/RESULTS.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
