"""Doc values' date histogram: counted into buckets, or sorted when the span is long."""

from datetime import datetime

import numpy as np
import pytest

from search.engines.whoosh.docvalues import MISSING, DocValues, text_ranks


def micros(*moments: str) -> list[int]:
    return [int(np.datetime64(m, "us").astype(np.int64)) for m in moments]


def histogram(dates: list[int], unit: str) -> list[tuple[datetime, int]]:
    values = np.array(dates, dtype=np.int64)
    everything = np.ones(len(values), bool)
    docs = DocValues(everything, {}, {"published": values}, {}, np.arange(len(values)))
    return docs.date_histogram("published", everything, unit)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("D", [(datetime(1987, 3, 2), 2), (datetime(1987, 4, 30), 1), (datetime(1988, 1, 1), 1)]),
        ("M", [(datetime(1987, 3, 1), 2), (datetime(1987, 4, 1), 1), (datetime(1988, 1, 1), 1)]),
        ("Y", [(datetime(1987, 1, 1), 3), (datetime(1988, 1, 1), 1)]),
    ],
)
def test_buckets_count_each_date_once_and_skip_undated(unit, expected):
    dates = micros("1987-03-02T10:00", "1987-03-02T23:59", "1987-04-30", "1988-01-01")
    assert histogram([*dates, MISSING], unit) == expected


def test_a_long_span_of_few_days_gives_the_same_buckets():
    dates = micros("0005-06-01", "1987-03-02", "1987-03-02", "9999-12-31")
    assert histogram(dates, "D") == [
        (datetime(5, 6, 1), 1),
        (datetime(1987, 3, 2), 2),
        (datetime(9999, 12, 31), 1),
    ]


class _Counted:
    """A column whose counts are given: top_terms' ranking alone is under test."""

    def __init__(self, counts: list[int], terms: list[str]):
        self.terms = terms
        self.term_ids = {t: n for n, t in enumerate(self.terms)}
        self.text_order = text_ranks(terms)
        self._counts = np.array(counts)

    def counts(self, mask):
        return self._counts


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 50])
def test_a_limited_facet_is_the_head_of_the_full_ranking(limit):
    # Ties at the cut (three terms count 4) keep the order of the full ranking: count, then
    # term as text ("t10" before "t3", whatever order the index met them in).
    counts = [4, 0, 9, 4, 1, 4, 9, 2]
    terms = ["t0", "t1", "t6", "t3", "t4", "t10", "t2", "t7"]
    everything = np.ones(1, bool)
    docs = DocValues(everything, {"place": _Counted(counts, terms)}, {}, {}, np.arange(1))
    full = docs.top_terms("place", everything)
    assert full[:5] == [("t2", 9), ("t6", 9), ("t0", 4), ("t10", 4), ("t3", 4)]
    assert len(full) == 7  # terms nobody holds are not listed
    assert docs.top_terms("place", everything, limit=limit) == full[:limit]


# Joining segments across index generations.


def _index(tmp_path):
    from whoosh import fields, index

    schema = fields.Schema(
        key=fields.ID(stored=True, unique=True),
        place=fields.KEYWORD(commas=True),
        text=fields.TEXT,
        published=fields.DATETIME(sortable=True),
    )
    return index.create_in(str(tmp_path), schema)


def _add(ix, rows):
    writer = ix.writer()
    for key, places, text, day in rows:
        writer.add_document(
            key=str(key), place=",".join(places), text=text, published=datetime(1987, 3, day)
        )
    writer.commit(merge=False)


def _cache():
    from search.engines.whoosh.docvalues import DocValuesCache

    return DocValuesCache(["place"], ["published"], ["text"], key_field="key")


def _snapshot(values):
    column = values.columns["place"]
    return {
        "live": values.live.tolist(),
        "keys": values.keys.tolist(),
        "dates": values.dates["published"].tolist(),
        "lengths": values.lengths["text"].tolist(),
        # A term whose documents are all gone stays in the table, counting none.
        "terms": {
            t: column.docs_with(t).tolist() for t in column.terms if len(column.docs_with(t))
        },
        "counts": dict(values.top_terms("place", values.live)),
        "by_doc": [
            sorted(column.terms[t] for t in column.terms_of(np.array([d]))[0])
            for d in range(values.size)
        ],
    }


def test_a_new_segment_joins_the_old_ones_as_a_fresh_read_would(tmp_path):
    ix = _index(tmp_path)
    _add(ix, [(1, ["lisbon", "porto"], "strike in lisbon", 2), (2, ["porto"], "port", 3)])
    cache = _cache()
    with ix.searcher() as searcher:
        first = cache.for_searcher(searcher)
        before = _snapshot(first)
    _add(ix, [(3, ["lisbon", "faro"], "faro strike", 4), (4, [], "no place", 5)])
    with ix.searcher() as searcher:
        joined = _snapshot(cache.for_searcher(searcher))
        fresh = _snapshot(_cache().for_searcher(searcher))
    assert joined == fresh
    assert joined["terms"] == {"lisbon": [0, 2], "porto": [0, 1], "faro": [2]}
    assert joined["by_doc"] == [["lisbon", "porto"], ["porto"], ["faro", "lisbon"], []]
    assert _snapshot(first) == before  # a request still reading the older generation


def test_after_a_merge_and_a_deletion_the_segments_are_joined_again(tmp_path):
    ix = _index(tmp_path)
    _add(ix, [(1, ["lisbon"], "a", 2)])
    _add(ix, [(2, ["porto"], "b", 3)])
    cache = _cache()
    with ix.searcher() as searcher:
        cache.for_searcher(searcher)
    writer = ix.writer()
    writer.delete_by_term("key", "1")
    writer.commit(optimize=True)
    _add(ix, [(3, ["faro", "porto"], "c", 4)])
    with ix.searcher() as searcher:
        joined = _snapshot(cache.for_searcher(searcher))
        assert joined == _snapshot(_cache().for_searcher(searcher))
    assert joined["counts"] == {"porto": 2, "faro": 1}
