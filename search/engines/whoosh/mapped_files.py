"""Whoosh index files read in place from their memory map, not copied into each process.

Whoosh 2.7 maps each segment's compound file into memory, then wraps every file inside it in
`BufferFile`, whose `BytesIO(buf)` copies the mapped bytes onto the heap. With 100,000 articles
that was over 600 MB of private memory per search worker: postings and term files copied
whole, once per process. `MappedBufferFile` reads the same bytes through a file object over
the memory map itself, so the pages stay shared between workers and in the page cache.

Installed once by `install()` (search/engines/whoosh/backend.py); nothing else in Whoosh changes.
"""

from __future__ import annotations

import os

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class MemoryViewFile:
    """The read side of a binary file over a memoryview: read, readline, seek, tell.
    Reading copies only the bytes asked for."""

    def __init__(self, view: memoryview):
        self._view = view
        self._size = len(view)
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        start = self._position
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        self._position = max(end, start)
        return bytes(self._view[start:end])

    def readline(self, size: int = -1) -> bytes:
        # Only pickle's text opcodes read lines, and Whoosh writes binary pickles: short.
        start = self._position
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        stop = start
        while stop < end:
            chunk = bytes(self._view[stop : min(stop + 256, end)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                stop += newline + 1
                break
            stop += len(chunk)
        self._position = stop
        return bytes(self._view[start:stop])

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            position += self._position
        elif whence == os.SEEK_END:
            position += self._size
        self._position = max(position, 0)
        return self._position

    def tell(self) -> int:
        return self._position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._view = memoryview(b"")

    def flush(self) -> None:
        pass


class MappedBufferFile(BufferFile):
    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = MemoryViewFile(memoryview(buf))


def install() -> None:
    compound.BufferFile = MappedBufferFile
