"""The engine contract: everything the archive asks of a search engine (search/engines/base.py),
checked against answers worked out from the database. It runs on the configured engine:
Whoosh by default, SolrCloud with SEARCH_ENGINE=solr (`make test-solr`; .ci/run runs both),
so passing on both means both engines give the archive the same answers."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np
import pytest

from archive.models import Article, Entity
from search.engines import get_engine
from search.engines.base import Clause, Query, Unsupported
from search.engines.reader_query import MAX_QUERY_TERMS, QueryTooComplex
from search.keys import source_key
from tests.factories import make_article

pytestmark = pytest.mark.django_db

ARTICLES = [
    # title, body, people, places, organizations, source, published
    ("Dock strike in Lisbon", "Dockers strike at the port of Lisbon over pay.",
     ("Rui Tavares",), ("Lisbon",), ("Dockworkers Union",), "Harbor Gazette", "2025-01-14"),
    ("Moura opens port fund", "Helena Moura and Rui Tavares open a fund for Sines and Lisbon.",
     ("Helena Moura", "Rui Tavares"), ("Lisbon", "Sines"), ("Investment Bank",),
     "Northern Ledger", "2025-02-03"),
    ("Fares frozen in Zürich", "The transit authority of Zürich froze fares; Rolls-Royce buses.",
     ("Anna Keller",), ("Zürich",), ("Transit Authority",), "Capital Dispatch", "2024-06-18"),
    ("Floods close Porto roads", "Roads in Porto closed. The Bank of England watched.",
     ("Helena Moura",), ("Porto",), ("Bank of England",), "Harbor Gazette", "2025-10-22"),
    ("Strikes spread to Porto", "Dockworkers strikes spread from Lisbon to Porto.",
     ("Rui Tavares",), ("Porto", "Lisbon"), ("Dockworkers Union",), "Harbor Gazette",
     "2025-01-20"),
    ("Undated note on tariffs", "A note on tariffs with no date, naming Lisbon.",
     (), ("Lisbon",), ("Investment Bank",), "Northern Ledger", None),
    ("Bank rate held", "The Investment Bank held its rate; Helena Moura spoke in Sines.",
     ("Helena Moura",), ("Sines",), ("Investment Bank",), "Capital Dispatch", "2025-01-14"),
    ("Old harbour history", "A history of the harbour of Lisbon, written long ago.",
     (), ("Lisbon",), (), "Harbor Gazette", "1987-03-02"),
]  # fmt: skip


LISBON = {"Dock strike in Lisbon", "Moura opens port fund", "Strikes spread to Porto",
          "Undated note on tariffs", "Old harbour history"}  # fmt: skip


@pytest.fixture
def archive() -> dict[str, Article]:
    made = {}
    for title, body, people, places, orgs, source, published in ARTICLES:
        made[title] = make_article(
            title,
            body,
            person=people,
            place=places,
            organization=orgs,
            source=source,
            published=published,
        )
    return made


def eid(name: str) -> str:
    return str(Entity.objects.get(name=name).pk)


def titles(ids) -> set[str]:
    return set(Article.objects.filter(pk__in=list(ids)).values_list("title", flat=True))


def found(text: str = "", *clauses: Clause, **dates) -> set[str]:
    engine = get_engine()
    query = Query(text, clauses, **dates)
    result = engine.search(query, stop=100)
    assert result.count == len(result.ids)
    return titles(result.ids)


def oracle(predicate) -> set[str]:
    return {a.title for a in Article.objects.all() if predicate(a)}


def names(article: Article, kind: str) -> set[str]:
    return {m.entity.name for m in article.mentions.all() if m.entity.kind == kind}


# Words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lisbon", LISBON),
        ("strike", {"Dock strike in Lisbon", "Strikes spread to Porto"}),  # stemmed
        ("ZURICH", {"Fares frozen in Zürich"}),  # case and accents folded
        ("zürich", {"Fares frozen in Zürich"}),
        ("rolls-royce", {"Fares frozen in Zürich"}),  # a hyphen joins a word
        ('"bank of england"', {"Floods close Porto roads"}),
        ('"england bank"', set()),
        ("porto lisbon", {"Strikes spread to Porto"}),  # side by side: both
        ("sines OR zurich", {"Moura opens port fund", "Bank rate held", "Fares frozen in Zürich"}),
        ("lisbon NOT strike", {"Moura opens port fund", "Undated note on tariffs",
                               "Old harbour history"}),
        ("lisbon -strike", {"Moura opens port fund", "Undated note on tariffs",
                            "Old harbour history"}),
        ("(sines OR porto) moura", {"Moura opens port fund", "Bank rate held"}),
        ("+tariffs lisbon", {"Undated note on tariffs"}),
        ('"unclosed lisbon', set()),
        ("lisbon AND", set()),  # a dangling operator is a word (no article says "and" in title)
        ("", {a[0] for a in ARTICLES}),
        ("&&&", set()),
        # Prefixes, fields and names
        ("lisb*", LISBON),
        ("zür* OR sin*", {"Fares frozen in Zürich", "Moura opens port fund", "Bank rate held"}),
        ("li*", set()),  # too short to be a prefix: the word "li"
        ("title:strike", {"Dock strike in Lisbon"}),  # titles are not stemmed
        ('title:"port fund"', {"Moura opens port fund"}),
        ("title:lisbon -strike", set()),
        ("person:moura", {"Moura opens port fund", "Floods close Porto roads", "Bank rate held"}),
        ("person:moura lisbon", {"Moura opens port fund"}),
        ('person:"helena moura" OR place:zurich', {"Moura opens port fund",
                                                   "Floods close Porto roads", "Bank rate held",
                                                   "Fares frozen in Zürich"}),
        ("organization:bank -person:moura", {"Undated note on tariffs"}),
        ("source:ledger", {"Moura opens port fund", "Undated note on tariffs"}),
        ("person:nobody", set()),
        ("colour:red", set()),  # no such field: the words "colour" and "red"
    ],
)  # fmt: skip
def test_words_find_the_same_articles_on_every_engine(archive, text, expected):
    assert found(text) == expected


def test_a_query_with_too_many_words_is_refused_by_name(archive):
    with pytest.raises(QueryTooComplex):
        get_engine().search(Query(" ".join(f"w{n}" for n in range(MAX_QUERY_TERMS))))


def test_an_order_the_engine_does_not_know_is_refused_by_name(archive):
    with pytest.raises(Unsupported):
        get_engine().search(Query(), sort="title")
    with pytest.raises(Unsupported):
        get_engine().search(Query(), date_unit="week")


# Filters: two values of one facet, OR, exclusions, dates


def test_two_values_of_one_facet_both_required(archive):
    both = Clause("place", (eid("Lisbon"), eid("Porto")), "all")
    assert found("", both) == oracle(lambda a: {"Lisbon", "Porto"} <= names(a, "place"))


def test_two_values_of_one_facet_either(archive):
    either = Clause("place", (eid("Sines"), eid("Porto")), "any")
    assert found("", either) == oracle(lambda a: names(a, "place") & {"Sines", "Porto"})


def test_or_plus_an_exclusion(archive):
    either = Clause("person", (eid("Helena Moura"), eid("Rui Tavares")), "any")
    without = Clause("place", (eid("Lisbon"),), "none")
    expected = oracle(
        lambda a: (
            names(a, "person") & {"Helena Moura", "Rui Tavares"}
            and "Lisbon" not in names(a, "place")
        )
    )
    assert expected == {"Floods close Porto roads", "Bank rate held"}
    assert found("", either, without) == expected


def test_a_source_filter_uses_the_source_key(archive):
    source = Clause("source", (source_key("Capital Dispatch"),), "all")
    assert found("", source) == {"Fares frozen in Zürich", "Bank rate held"}


def test_date_bounds_are_inclusive_days_and_leave_out_undated(archive):
    january = found("", date_from=date(2025, 1, 14), date_to=date(2025, 1, 20))
    assert january == {"Dock strike in Lisbon", "Strikes spread to Porto", "Bank rate held"}
    assert found("", date_from=date(2025, 2, 1)) == {
        "Moura opens port fund",
        "Floods close Porto roads",
    }
    assert found("", date_to=date(1999, 12, 31)) == {"Old harbour history"}


# Counting


def test_facets_count_within_the_results_and_an_or_facet_without_its_own_choice(archive):
    either = Clause("person", (eid("Helena Moura"),), "any")
    result = get_engine().search(
        Query("", (either,)), facets=("person", "place", "organization", "source")
    )
    moura = oracle(lambda a: "Helena Moura" in names(a, "person"))
    assert result.count == len(moura) == 3
    # Places are counted within the results...
    places = dict(result.facets["place"])
    assert places == {eid("Sines"): 2, eid("Lisbon"): 1, eid("Porto"): 1}
    # ...people as what choosing each one as well would give (the OR rule).
    people = dict(result.facets["person"])
    assert people[eid("Rui Tavares")] == 3 and people[eid("Helena Moura")] == 3
    assert people[eid("Anna Keller")] == 1


def test_facet_values_most_frequent_first_ties_by_term_text(archive):
    counted = get_engine().search(Query(), facets=("place",)).facets["place"]
    counts = [n for _, n in counted]
    assert counts == sorted(counts, reverse=True)
    for (a, n), (b, m) in pairwise(counted):
        if n == m:
            assert a < b
    limited = get_engine().search(Query(), facets=("place",), facet_limit=2).facets["place"]
    assert limited == counted[:2]


def test_facet_counts_only_some_terms(archive):
    engine = get_engine()
    wanted = {eid("Porto"), eid("Sines")}
    assert dict(engine.facet_counts(Query(), "place", only=wanted)) == {
        eid("Porto"): 2,
        eid("Sines"): 2,
    }


def test_date_histograms_by_year_month_and_day(archive):
    engine = get_engine()
    assert engine.date_histogram(Query(), "year") == [
        (date(1987, 1, 1), 1),
        (date(2024, 1, 1), 1),
        (date(2025, 1, 1), 5),
    ]
    assert engine.date_histogram(Query("strike"), "month") == [(date(2025, 1, 1), 2)]
    assert engine.date_histogram(Query("", date_from=date(2025, 1, 1)), "day")[:2] == [
        (date(2025, 1, 14), 2),
        (date(2025, 1, 20), 1),
    ]
    assert engine.date_span(Query("lisbon")) == (date(1987, 3, 2), date(2025, 2, 3))
    assert engine.date_span(Query("tariffs")) == (None, None)


def test_sorting_by_date_puts_undated_last_and_ties_by_article_id(archive):
    engine = get_engine()
    newest = engine.ids(Query(), 0, 100, "newest")
    oldest = engine.ids(Query(), 0, 100, "oldest")
    undated = archive["Undated note on tariffs"].pk
    assert newest[-1] == undated and oldest[-1] == undated
    same_day = [archive["Dock strike in Lisbon"].pk, archive["Bank rate held"].pk]
    assert [pk for pk in newest if pk in same_day] == sorted(same_day)
    assert [pk for pk in oldest if pk in same_day] == sorted(same_day)
    assert newest[0] == archive["Floods close Porto roads"].pk
    assert oldest[0] == archive["Old harbour history"].pk
    assert engine.ids(Query(), 2, 4, "newest") == newest[2:4]


def test_relevance_without_words_lists_newest_first(archive):
    engine = get_engine()
    assert engine.ids(Query(), 0, 100, "relevance") == engine.ids(Query(), 0, 100, "newest")


def test_comentions_are_exact(archive):
    people = ["Helena Moura", "Rui Tavares", "Anna Keller"]
    members = [("person", eid(n)) for n in people]
    matrix = get_engine().comentions(Query(), members)
    for i, a in enumerate(people):
        for j, b in enumerate(people):
            expected = oracle(lambda x, a=a, b=b: {a, b} <= names(x, "person"))
            assert matrix[i, j] == len(expected), (a, b)
    within = get_engine().comentions(Query("sines"), members)
    assert within.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 0]]


def test_cooccurring_entities_with_counts_and_first_dates(archive):
    found = get_engine().cooccurring(Query(), ("person", eid("Rui Tavares")))
    by_member = {c.member: (c.count, c.first) for c in found}
    assert by_member[("place", eid("Lisbon"))] == (3, date(2025, 1, 14))
    assert by_member[("person", eid("Helena Moura"))] == (1, date(2025, 2, 3))
    assert by_member[("organization", eid("Dockworkers Union"))] == (2, date(2025, 1, 14))
    assert ("place", eid("Zürich")) not in by_member


def test_ids_after_a_mark(archive):
    ordered = sorted(a.pk for a in archive.values())
    mark = ordered[3]
    indexed, matching = get_engine().ids_after(Query("lisbon"), mark)
    assert indexed.tolist() == ordered[4:]
    expected = sorted(a.pk for a in archive.values() if a.pk > mark and "isbon" in a.body)
    assert matching.tolist() == expected
    assert matching.dtype == np.int64


def test_spelling_suggestion_from_titles_never_corrects_a_word_of_the_text(archive):
    engine = get_engine()
    assert engine.search(Query("Lisbn"), suggest=True).suggestion == "Lisbon"
    assert engine.search(Query("Lisbon"), suggest=True).suggestion is None
    # "Dockers" is only in a text, and near "Docks"/"Dock" of titles: it stays.
    assert engine.search(Query("Dockers"), suggest=True).suggestion is None
    # A prefix and a field's name are not misspellings.
    assert engine.search(Query("Lisb* person:mour"), suggest=True).suggestion is None
    assert engine.search(Query("title:Lisbn"), suggest=True).suggestion == "title:Lisbon"


# Writing


def test_digests_follow_writes_removals_and_reset(archive):
    from search.indexing import index_articles, unindex_articles
    from search.search_indexes import content_digest

    engine = get_engine()
    digests = engine.digests()
    assert set(digests) == {a.pk for a in archive.values()}
    article = archive["Bank rate held"]
    assert digests[article.pk] == content_digest(
        Article.objects.prefetch_related("mentions__entity").get(pk=article.pk)
    )
    Article.objects.filter(pk=article.pk).update(title="Bank rate cut")
    index_articles([article.pk])  # replaced, not added
    assert found("cut") == {"Bank rate cut"} and engine.count(Query()) == len(ARTICLES)
    unindex_articles([article.pk])
    assert article.pk not in engine.digests()
    assert engine.count(Query()) == len(ARTICLES) - 1
    engine.reset()
    assert engine.count(Query()) == 0 and engine.digests() == {}
