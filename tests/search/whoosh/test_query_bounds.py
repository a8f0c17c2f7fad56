"""The Whoosh adapter's own bounds on a reader's query: its parser never builds a range or a
wildcard, and phrases too costly to check position by position are refused before any is."""

import pytest
from django.test import Client

from tests.factories import make_article
from tests.security.test_hostile_queries import RANGES_AND_WILDCARDS, assert_handled

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    make_article("Harbor strike in Lisbon", person=("Rui Tavares",), place=("Lisbon",))
    make_article("Ferry fares rise", organization=("Metro Transit Authority",))


@pytest.mark.parametrize("q", RANGES_AND_WILDCARDS)
def test_range_and_wildcard_syntax_is_read_as_words_never_expanded(archive, q):
    from haystack import connections
    from whoosh import query as wq

    query = connections["default"].get_backend().parse_user_query(q)
    kinds = {type(query), *(type(node) for node in query.leaves())}
    assert wq.Term in kinds or wq.Phrase in kinds
    assert not kinds & {wq.TermRange, wq.NumericRange, wq.Wildcard, wq.Prefix, wq.Regex}
    assert_handled(Client().get("/api/search/", {"q": q}), html=False)


def test_a_phrase_too_costly_to_check_is_refused_and_ordinary_phrases_answer(archive, monkeypatch):
    # "harbor strike" costs four postings: two words in one article, in the title and the text.
    monkeypatch.setattr("search.engines.whoosh.scoring.PHRASE_BUDGET", 4)
    ok = Client().get("/api/search/", {"q": '"harbor strike"'})
    assert ok.status_code == 200 and ok.json()["count"] == 1
    # With a second phrase it costs more than that.
    costly = Client().get("/api/search/", {"q": '"harbor strike" OR "strike in Lisbon"'})
    assert costly.status_code == 400
    assert "too common to check position by position" in costly.json()["error"]
    # Refused before any phrase is evaluated: the cost is known from the word counts.
    long = Client().get("/api/search/", {"q": '"' + " ".join(["harbor"] * 21) + '"'})
    assert long.status_code == 400 and "at most 20 words" in long.json()["error"]


def test_a_phrase_is_counted_once_whether_alone_or_in_a_group(archive, monkeypatch):
    from haystack import connections
    from whoosh import query as wq

    from search.engines.whoosh.scoring import QueryTooComplex, check_phrase_cost

    searcher = connections["default"].get_backend().searcher()
    phrase = wq.Phrase("text", ["harbor", "strike"])  # one article holds each word: cost 2
    monkeypatch.setattr("search.engines.whoosh.scoring.PHRASE_BUDGET", 2)
    check_phrase_cost(phrase, searcher)
    check_phrase_cost(wq.Or([phrase, wq.Term("text", "lisbon")]), searcher)
    monkeypatch.setattr("search.engines.whoosh.scoring.PHRASE_BUDGET", 1)
    with pytest.raises(QueryTooComplex):
        check_phrase_cost(phrase, searcher)
