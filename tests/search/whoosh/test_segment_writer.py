"""The archive's segment writer writes what Whoosh's own writer writes, a term at a time."""

import pytest
from haystack import connections
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from archive.models import Article
from search.engines.whoosh import segment_writer
from search.engines.whoosh.segment_writer import BatchSegmentWriter
from tests.factories import make_article

WORDS = [
    "harbor",
    "strike",
    "ferry",
    "Lisbon",
    "Porto",
    "minister",
    "port",
    "union",
    "talks",
    "dockers",
    "cargo",
    "storm",
]


def documents(count: int) -> list[dict]:
    """Index documents as the backend prepares them: one word in every document (more
    postings than a block holds), words in some, repeated words, all facet fields."""
    docs = []
    for n in range(count):
        words = [WORDS[(n * k) % len(WORDS)] for k in range(1, 1 + n % 9)]
        docs.append(
            {
                "id": f"archive.article.{n}",
                "django_ct": "archive.article",
                "django_id": str(n),
                "text": f"Harbor report {n}. " + " ".join(words * (1 + n % 3)),
                "title": f"Harbor report {n}",
                "title_spelling": f"Harbor report {n}",
                "person": [f"p{n % 7}", f"p{n % 11}"],
                "place": [f"g{n % 5}"],
            }
        )
    return docs


def written_with(writer_class, schema, folder, docs):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema)
    writer = writer_class(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix.reader()


def everything(reader) -> dict:
    found = {}
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        matcher = reader.postings(fieldname, text)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        found[fieldname, text] = (
            info.weight(),
            info.doc_frequency(),
            info.min_length(),
            info.max_length(),
            info.max_weight(),
            info.min_id(),
            info.max_id(),
            postings,
        )
    return found


@pytest.mark.django_db
def test_the_segment_holds_exactly_what_whooshs_writer_writes(tmp_path):
    backend = connections["default"].get_backend()
    backend.setup()
    docs = documents(300)
    stock = written_with(SegmentWriter, backend.schema, tmp_path / "stock", docs)
    batch = written_with(BatchSegmentWriter, backend.schema, tmp_path / "batch", docs)
    expected = everything(stock)
    assert len(expected[("text", b"harbor")][-1]) == 300  # three blocks of postings
    assert everything(batch) == expected
    assert list(batch.iter_docs()) == list(stock.iter_docs())
    for fieldname in ("text", "title"):
        assert [batch.doc_field_length(d, fieldname) for d in range(300)] == [
            stock.doc_field_length(d, fieldname) for d in range(300)
        ]


@pytest.mark.django_db
def test_a_merged_segment_holds_exactly_what_whooshs_merge_writes(tmp_path):
    backend = connections["default"].get_backend()
    backend.setup()
    docs = documents(400)
    readers = {}
    for name, writer_class in (("stock", SegmentWriter), ("batch", BatchSegmentWriter)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), backend.schema)
        for part in range(3):  # three segments, then some documents of the second deleted
            writer = writer_class(ix)
            for doc in docs[part * 100 : part * 100 + 100]:
                writer.add_document(**doc)
            writer.commit(merge=False)
        writer = writer_class(ix)
        for docnum in range(100, 200, 3):
            writer.delete_document(docnum)
        for doc in docs[300:]:
            writer.add_document(**doc)
        writer.commit(optimize=True)  # Whoosh's policy: every segment into the new one
        readers[name] = ix.reader()
    stock, batch = readers["stock"], readers["batch"]
    assert len(batch.leaf_readers()) == 1 and batch.doc_count() == 400 - 34
    assert everything(batch) == everything(stock)
    assert list(batch.iter_docs()) == list(stock.iter_docs())


@pytest.mark.django_db
def test_import_segments_are_merged_by_tiers(monkeypatch, client):
    monkeypatch.setattr(segment_writer, "SMALL_SEGMENT", 2)
    monkeypatch.setattr(segment_writer, "MERGE_FACTOR", 3)
    backend = connections["default"].get_backend()
    index = connections["default"].get_unified_index().get_index(Article)
    articles = [make_article(f"Harbor bulletin {n}", place=("Lisbon",)) for n in range(20)]

    def segment_sizes():
        return sorted(s.doc_count_all() for s in backend.index.refresh()._segments())

    backend.clear()
    sizes = []
    for start in range(0, 20, 2):  # segments of two, as an import's writer publishes them
        docs = backend.prepare_documents(index, articles[start : start + 2])
        backend.publish_staged(backend.stage_documents(docs, None))
        sizes.append(segment_sizes())
    # Once a tier holds three segments, they are merged into one of the next tier.
    assert sizes[1:4] == [[2, 2], [6], [2, 6]]
    assert sizes[-2:] == [[6, 6, 6], [2, 18]]
    data = client.get("/api/search/", {"q": "bulletin"}).json()
    assert data["count"] == 20 and data["facets"]["place"][0]["count"] == 20
    assert client.get("/api/search/", {"q": '"bulletin 17"'}).json()["count"] == 1


@pytest.mark.django_db
def test_edits_leave_small_segments_that_are_merged_while_batches_stay(monkeypatch, client):
    # Segments of under 3 articles are small; merged when 3 of them are there.
    monkeypatch.setattr(segment_writer, "SMALL_SEGMENT", 3)
    monkeypatch.setattr(segment_writer, "SMALL_SEGMENTS_TO_MERGE", 3)
    backend = connections["default"].get_backend()

    def segment_sizes():
        return sorted(s.doc_count_all() for s in backend.index.refresh()._segments())

    first = make_article("Ferry strike in Lisbon")
    dockers = make_article("Dockers walk out in Porto")
    assert segment_sizes() == [1, 1]
    talks = make_article("Talks resume at the port")
    assert segment_sizes() == [1, 1, 1]
    make_article("Cargo piles up")  # three small segments before it: merged into its own
    assert segment_sizes() == [4]
    first.title = "Ferry strike ends in Lisbon"
    first.save()  # replaced: the larger segment keeps its deleted copy until it is mostly gone
    assert segment_sizes() == [1, 4]
    assert client.get("/api/search/", {"q": "ferry"}).json()["count"] == 1
    assert client.get("/api/search/", {"q": "ends"}).json()["count"] == 1
    dockers.delete()
    assert segment_sizes() == [1, 4]
    talks.delete()  # three of its four copies gone: its one live article is written anew
    assert segment_sizes() == [1, 1]
    assert client.get("/api/search/").json()["count"] == 2


@pytest.mark.django_db
def test_a_staged_segments_doc_values_are_saved_before_readers_can_see_it(monkeypatch, client):
    backend = connections["default"].get_backend()
    index = connections["default"].get_unified_index().get_index(Article)
    articles = [make_article(f"Harbor bulletin {n}", place=("Lisbon",)) for n in range(3)]
    backend.clear()
    staged = backend.stage_documents(backend.prepare_documents(index, articles), None)
    publish = staged.publish
    seen = []

    def publish_and_look(timeout):
        segid = staged._segment.segment_id()
        seen.append((backend.doc_values.folder / segid).is_dir())
        publish(timeout)

    monkeypatch.setattr(staged, "publish", publish_and_look)
    backend.publish_staged(staged)
    assert seen == [True]
    data = client.get("/api/search/", {"q": "bulletin"}).json()
    assert data["count"] == 3 and data["facets"]["place"][0]["count"] == 3
