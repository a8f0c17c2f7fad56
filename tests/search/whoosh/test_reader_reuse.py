"""After a commit, a search worker keeps the readers of the segments that did not change."""

import pytest
from haystack import connections

from tests.factories import make_article


def leaf_readers_by_segment(backend) -> dict:
    return {r.segment().segment_id(): r for r, _ in backend.searcher().reader().leaf_readers()}


@pytest.mark.django_db
def test_unchanged_segments_keep_their_readers_and_deletions_are_seen(client):
    backend = connections["default"].get_backend()
    make_article("Ferry strike in Lisbon")
    dockers = make_article("Dockers walk out in Porto")
    before = leaf_readers_by_segment(backend)
    assert len(before) == 2

    make_article("Talks resume at the port")
    after = leaf_readers_by_segment(backend)
    assert len(after) == 3
    assert all(after[segment] is reader for segment, reader in before.items())

    dockers.delete()  # its segment gains a deletion: read again, with it
    after_delete = leaf_readers_by_segment(backend)
    dockers_segment = next(s for s, r in before.items() if r is not after_delete.get(s))
    assert after_delete[dockers_segment].is_deleted(0)
    assert client.get("/api/search/", {"q": "dockers"}).json()["count"] == 0
    assert client.get("/api/search/", {"q": "ferry"}).json()["count"] == 1
