"""Segment readers kept across index generations, as Whoosh 2.7 means to and does not.

`FileIndex._reader(..., reuse=...)` puts the open readers in a dict keyed by their
generation number, then looks each segment up by its segment id, so it never finds one: every
search worker reopened every segment (its term tables, about 5 ms a segment) on the first
search after any commit. Here the dict is keyed by segment id and deletion count: a segment
that has not changed is read through the same reader, one that has new deletions (deletions
only grow) is opened again with them.

Installed once by `install()` (search/engines/whoosh/backend.py); nothing else in Whoosh changes.
"""

from __future__ import annotations

from whoosh.index import FileIndex
from whoosh.reading import EmptyReader, MultiReader, SegmentReader


def _key(segment) -> tuple[str, int]:
    return segment.segment_id(), segment.deleted_count()


def _reader(cls, storage, schema, segments, generation, reuse=None):
    reusable = {}
    if reuse:
        # An empty index's reader has no segment: nothing to keep.
        leaves = [r for r, _ in reuse.leaf_readers() if r.segment() is not None]
        reusable = {_key(r.segment()): r for r in leaves}
    try:
        if not segments:
            return EmptyReader(schema)
        readers = [
            reusable.pop(_key(segment), None)
            or SegmentReader(storage, schema, segment, generation=generation)
            for segment in segments
        ]
        return readers[0] if len(readers) == 1 else MultiReader(readers, generation=generation)
    finally:
        for reader in reusable.values():
            reader.close()


def install() -> None:
    FileIndex._reader = classmethod(_reader)
