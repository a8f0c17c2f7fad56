"""Writing Whoosh segments a term at a time instead of a posting at a time.

Whoosh's `SegmentWriter` sends every posting (about 300 an article here) through a sorting
pool on disk, then through `FieldWriter.add_postings`, which reads the document's field length
back from the column file and checks each posting's types one call at a time: most of an
import's indexing time (bench/RESULTS.md). `BatchSegmentWriter` keeps a batch's postings in
memory grouped by term, reads each field's lengths once, and fills Whoosh's own posting blocks
a block at a time. The files it writes are Whoosh's (same codec, same blocks, same term
infos), so every reader, `check_index` and merges read them as any other segment.
"""

from __future__ import annotations

import heapq
import math
import os
import shutil
import uuid
from array import array
from itertools import groupby
from pathlib import Path

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, LockError, clean_files
from whoosh.reading import SegmentReader
from whoosh.util.filelock import try_for
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

_BYTE_LENGTHS = [0] + [byte_to_length(b) for b in range(1, 256)]
# Most terms of a batch occur in one or two articles; compressing their tiny blocks cost more
# than all else of writing them (zlib's set-up per call), for a few bytes saved. A block
# records its own compression, so readers take both kinds.
_COMPRESS_FROM = 16
_COMPRESSION = W3Codec()._compression


class _Values:
    """A term's posting values (encoded positions) in one buffer: as a bytes object each,
    they took three times the memory of the bytes themselves (20,000 articles hold about six
    million postings)."""

    __slots__ = ("data", "ends")

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("I")

    def append(self, value: bytes | None) -> None:
        if value:
            self.data += value
        self.ends.append(len(self.data))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: slice) -> list[bytes]:
        start, stop, _ = index.indices(len(self.ends))
        data, ends = self.data, self.ends
        begin = ends[start - 1] if start else 0
        values = []
        for end in ends[start:stop]:
            values.append(bytes(data[begin:end]))
            begin = end
        return values

    def __iter__(self):
        return iter(self[:])


class _TermPool:
    """Postings grouped by (field, term): ids, weights and values in the order added, in
    compact arrays (a 2,000-article batch holds over half a million postings)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array, array, _Values]] = {}

    def add(self, item) -> None:
        # item = (fieldname, tbytes, docnum, weight, vbytes), as SegmentWriter gives it
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:  # Whoosh's marker for spelling words, which the archive does not use
            return
        found = self.terms.get((fieldname, tbytes))
        if found is None:
            found = self.terms[fieldname, tbytes] = (array("I"), array("d"), _Values())
        found[0].append(docnum)
        found[1].append(weight)
        found[2].append(vbytes)

    def cleanup(self) -> None:
        self.terms = {}


class BatchSegmentWriter(SegmentWriter):
    """A SegmentWriter for batches that fit in memory (an index batch of articles).

    Segments it merges (`add_reader`) are not pooled: their stored fields are copied as
    Whoosh copies them, and their postings are read term by term while the new segment is
    written, beside the batch's own, so a merge holds one term's postings at a time."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = _TermPool()
        self._merged: list[tuple[object, int, dict | None]] = []

    def add_reader(self, reader) -> None:
        self._check_state()
        base = self.docnum
        indexed = {name for name in reader.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | indexed, reader)
        # Merge policies close their reader when this returns: postings are read at the
        # flush through a reader of our own.
        own = SegmentReader(self.storage, self.schema, reader.segment())
        self._merged.append((own, base, docmap))
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = _FieldLengths(self.per_document_reader() if self.codec.length_stats else None)
        writer = self.fieldwriter
        own: dict[str, list[bytes]] = {}
        for fieldname, tbytes in self.pool.terms:
            own.setdefault(fieldname, []).append(tbytes)
        fieldnames = set(own)
        for reader, _, _ in self._merged:
            fieldnames |= {name for name in reader.indexed_field_names() if name in self.schema}
        for fieldname in sorted(fieldnames):
            fieldobj = self.schema[fieldname]
            writer.start_field(fieldname, fieldobj)
            field_lengths = lengths.of(fieldname)
            # Each source gives its terms in order, with postings in document order; the
            # batch's documents come first, then each merged segment's, in turn.
            sources = [
                ((t, self.pool.terms[fieldname, t]) for t in sorted(own.get(fieldname, ())))
            ] + [
                _segment_postings(reader, fieldname, fieldobj.format, base, docmap)
                for reader, base, docmap in self._merged
            ]
            for tbytes, found in groupby(heapq.merge(*sources, key=_first), key=_first):
                writer.start_term(tbytes)
                _fill_blocks(writer._postwriter, _joined([p for _, p in found]), field_lengths)
                writer.finish_term()
            writer.finish_field()
        writer.close()
        lengths.close()

    def _close_segment(self) -> None:
        super()._close_segment()
        for reader, _, _ in self._merged:
            reader.close()
        self._merged = []


def _first(item):
    return item[0]


def _joined(postings: list[tuple[array, array, list]]) -> tuple[array, array, list]:
    if len(postings) == 1:
        return postings[0]
    ids, weights, values = array("I"), array("d"), []
    for more_ids, more_weights, more_values in postings:
        ids.extend(more_ids)
        weights.extend(more_weights)
        values.extend(more_values)
    return ids, weights, values


def _segment_postings(reader, fieldname: str, format_, base: int, docmap: dict | None):
    """A merged segment's terms of one field, in order, each with its live postings
    renumbered for the new segment (`docmap` when it has deletions, else `base` + docnum)."""
    if fieldname not in reader.indexed_field_names():
        return
    terms = reader._terms
    for (name, tbytes), terminfo in terms.items_from(fieldname, b""):
        if name != fieldname:
            return
        matcher = terms._codec.postings_reader(terms._postfile, terminfo, format_)
        ids, weights, values = array("I"), array("d"), []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            block_values = matcher._values
            if docmap is None:
                ids.extend([base + d for d in matcher._ids])
                weights.extend(list(matcher._weights))
                values.extend(block_values)
            else:
                for i, d in enumerate(matcher._ids):
                    if d in docmap:
                        ids.append(docmap[d])
                        weights.append(matcher._weights[i])
                        values.append(block_values[i])
            matcher._next_block()
        if ids:
            yield tbytes, (ids, weights, values)


class _FieldLengths:
    """Each document's length in each field, read once per field (Whoosh reads it once per
    posting), as the quantized value `doc_field_length` gives."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self._cache: dict[str, list[int] | None] = {}

    def of(self, fieldname: str) -> list[int] | None:
        if fieldname not in self._cache:
            column = None
            if self._reader is not None:
                column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                self._cache[fieldname] = None
            else:
                count = self._reader.doc_count_all()
                self._cache[fieldname] = [_BYTE_LENGTHS[column[d]] for d in range(count)]
        return self._cache[fieldname]

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


def _fill_blocks(postwriter, postings: tuple[array, array, list], lengths) -> None:
    """Everything `W3PostingsWriter.add_posting` does for these postings of the term that
    `start_term` began, a block at a time: full blocks are written, the last stays buffered
    for `finish_postings` (which inlines or writes it).

    The postings are in document order by construction: a batch's documents are numbered
    as they are added, and each merged segment's come after them, in turn."""
    ids, weights, values = postings
    limit = postwriter._blocklimit
    for start in range(0, len(ids), limit):
        end = start + limit
        block_ids = ids[start:end]
        postwriter._ids = block_ids
        block_weights = weights[start:end]
        postwriter._weights = array("f", block_weights)
        postwriter._values = [v for v in values[start:end] if v]
        postwriter._maxweight = max(0, max(block_weights))
        known = [lengths[d] for d in block_ids if lengths[d]] if lengths is not None else []
        postwriter._minlength = min(known) if known else None
        postwriter._maxlength = max(known) if known else 0
        postwriter._compression = _COMPRESSION if len(block_ids) >= _COMPRESS_FROM else 0
        if end < len(ids):
            postwriter._write_block()


# How segments are merged. Whoosh's own policy merged most of a 100,000-article index during
# an import, through its posting-by-posting path. Here, once a tier (tiers grow by
# MERGE_FACTOR from SMALL_SEGMENT) holds MERGE_FACTOR segments, they are merged into the next
# segment written, so each article is rewritten about log10(archive / batch) times in all.
# The small segments single edits leave behind are merged once there are enough of them,
# and a segment whose documents are mostly replaced or deleted is written anew.
SMALL_SEGMENT = 500
SMALL_SEGMENTS_TO_MERGE = 10
MERGE_FACTOR = 10


def merge_small_segments(writer, segments: list) -> list:
    """The merge policy of every commit: the small segments once there are enough of them,
    and segments mostly replaced or deleted. Returns the segments kept, after adding the
    merged ones' live documents to `writer`."""
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT]
    merged = [s for s in segments if s not in small and s.deleted_count() * 2 > s.doc_count_all()]
    if len(small) >= SMALL_SEGMENTS_TO_MERGE:
        merged += small
    return _merge(writer, segments, merged)


def merge_tiers(writer, segments: list) -> list:
    """The merge policy after an import's segment is published (by the import's writer, not
    by an edit): the first tier holding MERGE_FACTOR segments is merged."""
    return _merge(writer, segments, _full_tier(segments))


def needs_tier_merge(segments: list) -> bool:
    return bool(_full_tier(segments))


def _full_tier(segments: list) -> list:
    tiers: dict[int, list] = {}
    for segment in segments:
        if segment.doc_count_all() >= SMALL_SEGMENT:
            tiers.setdefault(_tier(segment), []).append(segment)
    for _, members in sorted(tiers.items()):
        if len(members) >= MERGE_FACTOR:
            return members[:MERGE_FACTOR]
    return []


def _merge(writer, segments: list, merged: list) -> list:
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in merged]


def _tier(segment) -> int:
    live = segment.doc_count_all() - segment.deleted_count()
    return int(math.log(max(live, SMALL_SEGMENT) / SMALL_SEGMENT, MERGE_FACTOR))


STAGING_PREFIX = ".staging-"


def abandoned_staging(index_folder: str | Path) -> list[Path]:
    """Staging folders whose writing process is gone: a writer killed outright (SIGKILL, a
    machine that went down) cannot remove its own."""
    abandoned = []
    for path in Path(index_folder).glob(f"{STAGING_PREFIX}*"):
        pid = path.name.removeprefix(STAGING_PREFIX).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            abandoned.append(path)
    return abandoned


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class StagedSegment:
    """Documents written into a segment of their own, in a folder beside the index, without
    holding the index's write lock; `publish` adds the finished segment to the index, under
    the lock for only as long as that takes. Several batches can go into one segment, so an
    import writes a few large segments (cheaper per article, nothing to merge) while edits
    made meanwhile still get the lock at once."""

    def __init__(self, ix):
        self._main = ix
        # A dot folder: Whoosh's clean-up of other commits ignores it.
        name = f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.folder = Path(ix.storage.folder) / name
        staging = FileStorage(str(self.folder)).create()
        self._ix = staging.create_index(ix.schema, indexname=ix.indexname)
        self._writer = BatchSegmentWriter(self._ix)
        self._segment = None
        self.count = 0

    def add(self, docs: list[dict]) -> None:
        for doc in docs:
            self._writer.add_document(**doc)
        self.count += len(docs)

    def finish(self) -> SegmentReader:
        """Write the segment's files; a reader of the segment, to read it (and close) before
        it is published."""
        self._writer.commit(merge=False)
        (self._segment,) = self._ix._segments()
        return SegmentReader(self._ix.storage, self._ix.schema, self._segment)

    def publish(self, timeout: float) -> None:
        """Finish the segment unless done and add it to the index; raises LockError when the
        index stays locked for `timeout` seconds."""
        if self._segment is None:
            self.finish().close()
        segment = self._segment
        lock = self._main.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=timeout, delay=0.1):
            raise LockError
        try:
            toc = self._main._read_toc()
            for name in os.listdir(self.folder):
                if name.startswith(segment.segment_id()):
                    os.replace(self.folder / name, Path(self._main.storage.folder) / name)
            segments = [*toc.segments, segment]
            TOC(toc.schema, segments, toc.generation + 1).write(
                self._main.storage, self._main.indexname
            )
            clean_files(self._main.storage, self._main.indexname, toc.generation + 1, segments)
        finally:
            lock.release()
        self.discard()

    def discard(self) -> None:
        if not self._writer.is_closed:
            self._writer.cancel()
        shutil.rmtree(self.folder, ignore_errors=True)
