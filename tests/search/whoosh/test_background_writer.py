"""The import's background index writer stops when the import dies, even halfway through
handing it a batch: a killed import leaves no process behind."""

import multiprocessing
import os
import struct

from search.engines.whoosh import writer


class NothingStaged:
    """A backend the test never reaches: the batch never arrives whole."""

    def stage_documents(self, documents, staged):
        raise AssertionError("a batch cut short was staged")


def test_the_writer_ends_when_its_parent_dies_halfway_through_a_batch():
    context = multiprocessing.get_context("fork")
    parents_end, child_end = context.Pipe()
    child = context.Process(
        target=writer._serve,
        args=(NothingStaged(), child_end, os.getpid(), parents_end),
        daemon=True,
    )
    child.start()
    child_end.close()
    try:
        # A batch's length, a part of it, then the sender is gone (as SIGKILL leaves it).
        os.write(parents_end.fileno(), struct.pack("!i", 1_000_000) + b"x" * 1000)
        parents_end.close()
        child.join(15)
        assert not child.is_alive()
    finally:
        if child.is_alive():
            child.kill()
