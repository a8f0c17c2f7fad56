"""The numpy ranking must agree with Whoosh's own matching and BM25F scores."""

import pytest
from haystack import connections

from search.engines.whoosh.scoring import evaluate, top
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend(django_capture_on_commit_callbacks):
    gone = make_article("Harbor strike ends", "The harbor strike ends; dockworkers return.")
    make_article("Harbor strike spreads", "Dockworkers in Lisbon extend the harbor strike.")
    make_article("Ferry fares rise", "The harbor authority raises ferry fares after the strike.")
    make_article("Rain floods Porto", "Heavy rain floods the lower town of Porto overnight.")
    make_article("Strike talks fail", "Talks to end the strike fail; the harbor stays shut.")
    for n in range(3):  # more segments, and a deleted document inside the first
        make_article(f"Harbor note {n}", f"Routine harbor notice number {n} about strike pay.")
    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()
    return connections["default"].get_backend()


@pytest.mark.parametrize(
    "text",
    ["harbor", "strike harbor", "harbor OR rain", "strike -talks", '"harbor strike"', "nothing"],
)
def test_matches_and_scores_agree_with_whoosh(backend, text):
    searcher = backend.searcher()
    query = backend.parse_user_query(text)
    matches = evaluate(query, searcher, backend.doc_values.for_searcher(searcher))
    ours = {doc: round(score, 4) for doc, score in top(matches, 0, 100)}
    theirs = {hit.docnum: round(hit.score, 4) for hit in searcher.search(query, limit=None)}
    assert ours == theirs
    assert all(doc in searcher.reader().all_doc_ids() for doc in ours)
    assert text == "nothing" or ours


def test_facet_counts_are_the_same_for_small_and_large_result_sets():
    import numpy as np

    from search.engines.whoosh.docvalues import TermColumn

    rng = np.random.default_rng(7)
    size, terms = 500, 40
    pairs = {
        (int(d), int(t))
        for d, t in zip(rng.integers(0, size, 3000), rng.integers(0, terms, 3000), strict=True)
    }
    docs = np.array([d for d, _ in sorted(pairs, key=lambda p: p[1])])
    values = np.array([t for _, t in sorted(pairs, key=lambda p: p[1])])
    order = np.argsort(docs, kind="stable")
    column = TermColumn(
        [str(t) for t in range(terms)], {}, docs, values, values[order],
        np.searchsorted(docs[order], np.arange(size + 1)), parts=[],
    )  # fmt: skip
    for share in (0.002, 0.05, 0.5, 1.0):
        mask = rng.random(size) < share
        expected = np.zeros(terms, dtype=int)
        for d, t in pairs:
            expected[t] += bool(mask[d])
        assert column.counts(mask).tolist() == expected.tolist()
