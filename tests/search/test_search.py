import pytest
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from archive.models import Article, Entity, Mention
from search.query import parse_params, run_search
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def search(query: str = ""):
    return run_search(parse_params(QueryDict(query)))


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def titles(outcome) -> list[str]:
    return [a.title for a in outcome.articles]


def facet(outcome, kind: str) -> dict[str, int]:
    return {v.name: v.count for v in outcome.facets[kind]}


@pytest.fixture
def archive():
    make_article(
        "Lisbon dock strike begins",
        person=("Rui Tavares",),
        place=("Lisbon",),
        organization=("Atlantic Dockworkers Union",),
        published="2025-01-14",
    )
    make_article(
        "Moura announces port fund",
        person=("Helena Moura", "Rui Tavares"),
        place=("Lisbon", "Sines"),
        organization=("European Investment Bank",),
        source="Northern Ledger",
        published="2025-02-03",
    )
    make_article(
        "Transit fares frozen",
        person=("Marcus Bell Jr.", "Patrick O'Neill"),
        place=("Washington, D.C.",),
        organization=("Metro Transit Authority",),
        source="Capital Dispatch",
        published="2024-06-18",
    )
    make_article(
        "Floods close Porto roads",
        person=("Helena Moura",),
        place=("Porto",),
        published="2025-10-22",
    )


def test_empty_query_browses_everything_newest_first(archive):
    outcome = search()
    assert outcome.count == 4
    assert titles(outcome) == [
        "Floods close Porto roads",
        "Moura announces port fund",
        "Lisbon dock strike begins",
        "Transit fares frozen",
    ]


def test_words_find_articles_and_snippets_mark_them(archive):
    outcome = search("q=strike")
    assert titles(outcome) == ["Lisbon dock strike begins"]
    assert "<mark>strike</mark>" in outcome.snippets[outcome.articles[0].pk]


def test_phrases_operators_and_minus(archive):
    assert search("q=%22port+fund%22").count == 1
    assert search("q=Lisbon+OR+Porto").count == 3
    assert search("q=Lisbon+-strike").count == 1
    assert search("q=Lisbon+NOT+strike").count == 1


def test_narrowing_by_a_person(archive):
    outcome = search(f"person={entity('Helena Moura').pk}")
    assert sorted(titles(outcome)) == ["Floods close Porto roads", "Moura announces port fund"]
    assert facet(outcome, "place") == {"Lisbon": 1, "Sines": 1, "Porto": 1}


def test_excluding_a_person(archive):
    outcome = search(f"exclude_person={entity('Helena Moura').pk}")
    assert sorted(titles(outcome)) == ["Lisbon dock strike begins", "Transit fares frozen"]
    assert next(v for v in outcome.facets["person"] if v.name == "Helena Moura").excluded


def test_two_values_of_a_facet_combine_with_and_by_default(archive):
    moura, tavares = entity("Helena Moura").pk, entity("Rui Tavares").pk
    assert titles(search(f"person={moura}&person={tavares}")) == ["Moura announces port fund"]


def test_or_combines_values_and_keeps_the_alternatives_counted(archive):
    moura, tavares = entity("Helena Moura").pk, entity("Rui Tavares").pk
    outcome = search(f"person={moura}&person={tavares}&person_op=or")
    assert outcome.count == 3
    counts = facet(outcome, "person")
    # Counted without the person selection itself, so Bell and O'Neill stay visible.
    assert counts["Marcus Bell Jr."] == 1 and counts["Helena Moura"] == 2


def test_facets_combine_with_and(archive):
    outcome = search(f"person={entity('Helena Moura').pk}&place={entity('Porto').pk}")
    assert titles(outcome) == ["Floods close Porto roads"]


def test_source_facet_survives_any_source_name(archive):
    make_article("Odd source", source='Gazette, "Daily" & Sons')
    outcome = search()
    assert facet(outcome, "source")['Gazette, "Daily" & Sons'] == 1
    narrowed = search("source=" + 'Gazette, "Daily" %26 Sons')
    assert titles(narrowed) == ["Odd source"]


def test_date_range_and_histogram(archive):
    outcome = search("date_from=2025-01-01&date_to=2025-06-30")
    assert sorted(titles(outcome)) == ["Lisbon dock strike begins", "Moura announces port fund"]
    # Two articles three weeks apart: by day, the empty days between them one marker.
    assert outcome.date_unit == "day"
    assert [(row.start.isoformat(), row.count, row.gap) for row in outcome.dates] == [
        ("2025-01-14", 1, False),
        ("2025-01-15", 0, True),
        ("2025-02-03", 1, False),
    ]
    everything = search()
    assert everything.date_unit == "month" and sum(r.count for r in everything.dates) == 4
    assert everything.dates[0].start.isoformat() == "2024-06-01"


def test_date_range_open_at_either_end(archive):
    assert len(titles(search("date_from=2025-01-01"))) == 3
    assert len(titles(search("date_to=2024-12-31"))) == 1
    assert len(titles(search("date_from=0005-01-01"))) == 4  # strftime would write "50101"


def test_names_with_commas_quotes_and_suffixes_are_one_facet_value_each(archive):
    outcome = search()
    assert facet(outcome, "place")["Washington, D.C."] == 1
    assert facet(outcome, "person")["Patrick O'Neill"] == 1
    for name in ("Washington, D.C.", "Patrick O'Neill", "Marcus Bell Jr."):
        kind = entity(name).kind
        assert titles(search(f"{kind}={entity(name).pk}")) == ["Transit fares frozen"]


def test_renamed_entity_shows_its_new_name_without_reindexing(archive):
    lisbon = entity("Lisbon")
    lisbon.name = "Lisboa"
    lisbon.save()
    outcome = search()
    assert facet(outcome, "place")["Lisboa"] == 2
    assert "Lisbon" not in facet(outcome, "place")
    assert search(f"place={lisbon.pk}").count == 2


def test_deleted_article_leaves_the_index(archive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.get(title="Transit fares frozen").delete()
    outcome = search()
    assert outcome.count == 3
    assert "Marcus Bell Jr." not in facet(outcome, "person")


def test_edited_article_is_searchable_at_once(archive, django_capture_on_commit_callbacks):
    article = Article.objects.get(title="Floods close Porto roads")
    with django_capture_on_commit_callbacks(execute=True):
        article.body += " Engineers inspected the Arrábida bridge."
        article.save()
    assert titles(search("q=Arrábida")) == ["Floods close Porto roads"]


def test_facet_counts_match_the_database(archive):
    outcome = search()
    for kind in ("person", "place", "organization"):
        expected = dict(
            Entity.objects.filter(kind=kind).annotate(n=Count("mentions")).values_list("name", "n")
        )
        assert facet(outcome, kind) == expected


def test_misspelling_gets_a_suggestion_even_with_no_hits(archive):
    outcome = search("q=transt")
    assert outcome.count == 0
    # As the archive spells it: the only title with the word begins with it.
    assert outcome.suggestion == "Transit"


def test_pages_and_sorting(archive):
    outcome = run_search(parse_params(QueryDict("sort=oldest&page=2")), page_size=3)
    assert titles(outcome) == ["Floods close Porto roads"]
    assert outcome.pages == 2


@pytest.mark.whoosh_only
def test_a_worker_warms_the_search_caches_before_its_first_request(archive):
    from haystack import connections

    from search.warmup import warm_up

    backend = connections["default"].get_backend()
    backend.vocabulary._generation = None
    warm_up()
    assert backend.vocabulary._generation is not None  # the vocabulary is read
    assert "lisbon" in backend.vocabulary._frequencies


@pytest.mark.django_db
def test_result_entities_load_their_other_fields_when_read():
    from archive.models import attach_entity_names

    article = make_article("Ferry strike", "The ferry strike in Lisbon.", place=("Lisbon",))
    Mention.objects.filter(article=article).update(offsets=[[21, 27]])
    (loaded,) = [Article.objects.get(pk=article.pk)]
    attach_entity_names([loaded])
    with CaptureQueriesContext(connection) as queries:
        (mention,) = loaded.mentions.all()
        assert (mention.entity.name, mention.entity.kind) == ("Lisbon", "place")
    assert len(queries) == 0
    # Fields that were not loaded are deferred, not silently empty.
    assert mention.offsets == [[21, 27]]
    assert mention.entity.aliases == []


@pytest.mark.django_db
@pytest.mark.whoosh_only
def test_did_you_mean_follows_merges_and_deletions():
    from haystack import connections

    from search.indexing import unindex_articles

    backend = connections["default"].get_backend()

    def suggestion(q: str):
        return run_search(parse_params(QueryDict(f"q={q}"))).suggestion

    def merge_segments():
        writer = backend.index.refresh().writer()
        writer.commit(optimize=True)

    make_article("Ferries return to Zürich", person=("Ana Reis",))
    kept = make_article("Harbor dredging resumes")
    assert suggestion("Zurick") == "Zürich"
    merge_segments()
    assert suggestion("Zurick") == "Zürich"
    assert suggestion("dredgin") == "dredging"
    unindex_articles([kept.pk])
    merge_segments()
    assert suggestion("dredgin") is None
    assert suggestion("Zurick") == "Zürich"


@pytest.mark.django_db
def test_a_new_source_shows_in_the_facet_after_names_were_read(client):
    make_article("Ferry strike", source="Harbor Gazette")
    first = client.get("/api/search/").json()["facets"]["source"]
    assert [s["name"] for s in first] == ["Harbor Gazette"]
    make_article("Tagus floods", source="Tagus Times")
    later = client.get("/api/search/").json()["facets"]["source"]
    assert sorted(s["name"] for s in later) == ["Harbor Gazette", "Tagus Times"]


@pytest.mark.django_db
def test_no_suggestion_for_words_the_articles_hold_even_outside_titles():
    make_article("Volcker testifies", "Paul Volcker told Congress that rates would hold.")
    make_article("Pall of smoke over the harbour", "A pall of smoke hung over the port.")

    def suggestion(q: str):
        return run_search(parse_params(QueryDict(f"q={q}"))).suggestion

    assert suggestion('"Paul Volcker"') is None  # "Paul" is in a text, not in a title
    assert suggestion("congress") is None
    assert suggestion("Volckr") == "Volcker"
    assert suggestion("Paul Volckr") == "Paul Volcker"


def test_the_chart_picks_weeks_for_a_few_months_and_survives_the_calendars_ends():
    from datetime import date, timedelta

    from search.dates import bucket_end, chart

    start = date(1987, 2, 2)  # a Monday
    days = [(start + timedelta(days=n), 1) for n in range(0, 120, 3)]
    unit, bars = chart(days, None)
    assert unit == "week" and bars[0].start == start and bars[0].end == date(1987, 2, 8)
    assert sum(b.count for b in bars) == 40 and not any(b.gap for b in bars)
    assert bucket_end(date(9999, 12, 27), "week") == date.max
    assert chart([(date(1, 1, 1), 1), (date(9999, 12, 31), 1)], None)[0] == "year"
