"""Index files are read from their memory map in place (search/engines/whoosh/mapped_files.py)."""

import pickle

import pytest
from whoosh import fields, index
from whoosh.query import Term

from search.engines.whoosh import backend  # noqa: F401  (installs the mapped files)
from search.engines.whoosh.mapped_files import MappedBufferFile, MemoryViewFile


def test_memory_view_file_reads_like_a_file():
    data = pickle.dumps((7, "x" * 300), 2) + b"one\ntwo\n\x00\x01"
    f = MemoryViewFile(memoryview(data))
    assert pickle.load(f) == (7, "x" * 300)
    assert f.readline() == b"one\n" and f.readline() == b"two\n"
    assert f.read() == b"\x00\x01" and f.read() == b"" and f.tell() == len(data)
    f.seek(-2, 2)
    assert f.read(10) == b"\x00\x01"
    f.seek(1)
    f.seek(2, 1)
    assert f.tell() == 3


def test_segments_are_read_through_the_map_not_copied(tmp_path):
    schema = fields.Schema(body=fields.TEXT(stored=True))
    ix = index.create_in(tmp_path, schema)
    with ix.writer() as writer:
        for n in range(50):
            writer.add_document(body=f"harbor strike day {n}")
    with ix.searcher() as searcher:
        postings = searcher.reader()._terms._postfile
        assert isinstance(postings, MappedBufferFile)
        assert isinstance(postings.file, MemoryViewFile)
        assert len(searcher.search(Term("body", "strike"), limit=None)) == 50


@pytest.mark.parametrize("size", [0, 1, 5])
def test_reading_past_the_end_is_empty(size):
    f = MemoryViewFile(memoryview(b"ab"))
    f.seek(5)
    assert f.read(size) == b""
