"""Solr's terms facets over several shards are exact for the values the shards sent, not in
which values come first: the adapter asks again, for every value counting at least the last
one's count, whenever the first answer is full. Checked with Solr's answers written out (the
SolrCloud tests check the same on a real cluster, tests/search/test_engine_contract.py)."""

import json

from search.engines.base import Query
from search.engines.solr.engine import SolrEngine


def buckets(*pairs):
    return {"buckets": [{"val": v, "count": n} for v, n in pairs]}


def test_a_value_no_shard_ranked_high_is_found_when_the_first_answer_is_full(monkeypatch):
    asked = []

    def select(self, query, **params):
        request = json.loads(params["json.facet"])
        asked.append(request)
        if request["person"]["limit"] != -1:  # the first answer: "9" was missed
            return {"facets": {"person": buckets(("1", 5), ("2", 3))}}
        return {"facets": {"person": buckets(("1", 5), ("2", 3), ("9", 4), ("3", 3))}}

    monkeypatch.setattr(SolrEngine, "_select", select)
    engine = SolrEngine(urls=["http://127.0.0.1:9/solr"], collection="x", timeout=1)
    top = engine.facet_counts(Query(), "person", limit=2)
    assert top == [("1", 5), ("9", 4)]
    assert asked[1]["person"]["mincount"] == 3 and asked[1]["person"]["limit"] == -1
    asked.clear()
    # An answer shorter than the limit holds every value: no second request.
    assert engine.facet_counts(Query(), "person", limit=5) == [("1", 5), ("2", 3)]
    assert len(asked) == 1
