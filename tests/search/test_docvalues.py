"""Doc values' date histogram: counted into buckets, or sorted when the span is long."""

from datetime import datetime

import numpy as np
import pytest

from search.docvalues import MISSING, DocValues


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

    def __init__(self, counts: list[int]):
        self.terms = [f"t{n}" for n in range(len(counts))]
        self.term_ids = {t: n for n, t in enumerate(self.terms)}
        self._counts = np.array(counts)

    def counts(self, mask):
        return self._counts


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 50])
def test_a_limited_facet_is_the_head_of_the_full_ranking(limit):
    # Ties at the cut (three terms count 4) keep the order of the full ranking: count, then term.
    counts = [4, 0, 9, 4, 1, 4, 9, 2]
    everything = np.ones(1, bool)
    docs = DocValues(everything, {"place": _Counted(counts)}, {}, {}, np.arange(1))
    full = docs.top_terms("place", everything)
    assert full[:4] == [("t2", 9), ("t6", 9), ("t0", 4), ("t3", 4)]
    assert len(full) == 7  # terms nobody holds are not listed
    assert docs.top_terms("place", everything, limit=limit) == full[:limit]
