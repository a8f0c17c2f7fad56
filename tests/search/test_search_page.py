"""The search page a journalist trusts: links keep every filter, text folds accents and
keeps hyphenated words, every facet value is reachable, dates are clickable."""

import json
import re
from datetime import date
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.checks import run_checks
from django.http import QueryDict
from django.test import override_settings
from haystack.query import SearchQuerySet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.models import Article, Entity, Mention
from search.facets import BY_NAME, FACET_NAMES
from search.network import entity_profile
from search.query import (
    FACET_LIMIT,
    SORTS,
    SearchParams,
    facet_values_page,
    parse_params,
    run_search,
)
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def search(query: str = ""):
    return run_search(parse_params(QueryDict(query)))


def entity(name: str) -> Entity:
    return Entity.objects.get(name=name)


def parsed(url: str) -> SearchParams:
    parts = urlsplit(unescape(url))
    return parse_params(QueryDict(parts.query))


# Every link is the same search plus its one change.

ids = st.integers(min_value=1, max_value=10**6).map(str)
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12
)
values_of = {name: (ids if name != "source" else names) for name in FACET_NAMES}


@st.composite
def search_params(draw) -> SearchParams:
    selected = {
        name: tuple(draw(st.lists(values_of[name], max_size=3, unique=True)))
        for name in FACET_NAMES
    }
    excluded = {
        name: tuple(draw(st.lists(values_of[name], max_size=2, unique=True)))
        for name in FACET_NAMES
    }
    start = draw(st.none() | st.dates(date(1900, 1, 1), date(2100, 1, 1)))
    end = draw(st.none() | st.dates(start or date(1900, 1, 1), date(2100, 12, 31)))
    return SearchParams(
        q=draw(st.text(max_size=30)).strip(),
        selected={k: v for k, v in selected.items() if v},
        excluded={k: v for k, v in excluded.items() if v},
        any_of=frozenset(draw(st.sets(st.sampled_from(FACET_NAMES)))),
        date_from=start,
        date_to=end,
        sort=draw(st.sampled_from(list(SORTS))),
        page=draw(st.integers(1, 50)),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=search_params(), facet=st.sampled_from(FACET_NAMES), data=st.data())
def test_every_link_parses_back_to_the_search_plus_its_one_change(params, facet, data):
    value = data.draw(values_of[facet])
    assert parsed(params.url()) == params
    changed = [
        params.selecting(facet, value),
        params.deselecting(facet, value),
        params.excluding(facet, value),
        params.including(facet, value),
        params.toggling_operator(facet),
        params.between(date(2020, 1, 1), date(2020, 12, 31)),
        params.between(None, None),
        params.sorted_by("oldest"),
        params.on_page(params.page + 1),
        params.without_filters(),
    ]
    for link in changed:
        assert parsed(link.url()) == link
    selected = params.selecting(facet, value)
    assert value in selected.selected[facet]
    others = {k: v for k, v in selected.selected.items() if k != facet}
    assert others == {k: v for k, v in params.selected.items() if k != facet and v}
    assert selected.excluded == params.excluded and selected.q == params.q
    assert params.on_page(7).selected == params.selected


@pytest.fixture
def people():
    make_article("Dock strike in Lisbon", person=("Helena Moura", "Rui Tavares"), place=("Lisbon",))
    make_article("Moura visits Porto", person=("Helena Moura",), place=("Porto",))
    make_article("Tavares in Sines", person=("Rui Tavares",), place=("Sines",))
    make_article("Bell in Lisbon", person=("Marcus Bell",), place=("Lisbon",))
    make_article("O'Neill in Porto", person=("Patrick O'Neill",), place=("Porto",))


def page_links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*\?[^"]*)"', html)]


def test_links_on_the_page_keep_two_people_in_or_mode_and_two_exclusions(client, people):
    moura, tavares = entity("Helena Moura").pk, entity("Rui Tavares").pk
    bell, oneill = entity("Marcus Bell").pk, entity("Patrick O'Neill").pk
    query = f"person={moura}&person={tavares}&person_op=or&exclude_place={entity('Sines').pk}"
    response = client.get(f"/?{query}&exclude_person={bell}&exclude_person={oneill}")
    assert response.status_code == 200
    html = response.content.decode()
    kept = 0
    for link in page_links(html):
        params = parse_qs(urlsplit(link).query)
        if "search" in params or urlsplit(link).path.startswith("/admin"):
            continue
        if str(moura) in params.get("person", []) and str(tavares) in params.get("person", []):
            exclusions = set(params.get("exclude_person", []))
            # Only the link that stops excluding one of them drops it, and only the mode
            # toggle drops "or".
            assert exclusions in ({str(bell), str(oneill)}, {str(bell)}, {str(oneill)})
            kept += exclusions == {str(bell), str(oneill)} and params.get("person_op") == ["or"]
    # Sort, export, date bars, facet values, the mode toggle: all keep both people.
    assert kept >= 10
    assert f"/export.csv?person={moura}&amp;person={tavares}" in html


def test_exports_export_exactly_the_result_set_shown(client, people):
    moura, tavares = entity("Helena Moura").pk, entity("Rui Tavares").pk
    query = f"person={moura}&person={tavares}&person_op=or"
    shown = search(query).count
    assert shown == 3
    rows = b"".join(client.get(f"/export.csv?{query}").streaming_content).decode().splitlines()
    assert len(rows) - 1 == shown
    lines = b"".join(client.get(f"/export.jsonl?{query}").streaming_content).splitlines()
    assert len(lines) == shown
    records = [json.loads(line) for line in lines]
    # Every exported article names one of the two people, as the page's results do.
    assert all({moura, tavares} & {p["id"] for p in r["person"]} for r in records)
    assert sorted(r["id"] for r in records) == sorted(a.pk for a in search(query).articles)
    assert all("body" not in r for r in records)


def test_json_lines_export_has_entity_arrays_with_ids_and_the_body_on_request(client, people):
    lines = b"".join(
        client.get(
            f"/export.jsonl?person={entity('Marcus Bell').pk}&include=body"
        ).streaming_content
    ).splitlines()
    (record,) = [json.loads(line) for line in lines]
    assert record["person"] == [{"id": entity("Marcus Bell").pk, "name": "Marcus Bell"}]
    assert record["place"] == [{"id": entity("Lisbon").pk, "name": "Lisbon"}]
    assert record["body"] == Article.objects.get(title="Bell in Lisbon").body


# Accents, case and hyphens.


@pytest.fixture
def spelled():
    make_article("Zürich bankers meet", body="Zürich bankers met in the old town on Monday.")
    make_article(
        "Álvarez resigns", body="José Álvarez resigned as mayor.", person=("José Álvarez",)
    )
    make_article("Rolls-Royce engine order", body="Rolls-Royce won an engine order.")
    make_article("Engines", body="Rolls Royce shares fell; royce alone is a name.")
    make_article("Trade", body="Exports rose 4% year-on-year in March.")


def test_accents_and_case_are_forgiven(spelled):
    assert [a.title for a in search("q=zurich").articles] == ["Zürich bankers meet"]
    assert [a.title for a in search("q=Jose+Alvarez").articles] == ["Álvarez resigns"]
    assert search("q=ZÜRICH").count == 1


def test_did_you_mean_keeps_the_archives_spelling(spelled):
    assert search("q=Zuirch").suggestion == "Zürich"
    assert search("q=Alvarex").suggestion == "Álvarez"


def test_what_journalists_type_prefixes_fields_and_names(client, spelled):
    make_article("Volcker term likely", "Paul Volcker may stay.", person=("Paul Volcker",))
    make_article("Opec output falls", "The Opec cartel cut output.", organization=("OPEC",))
    make_article("Output notes", "Opec is named only in this text.")
    prefix = search("q=Volck*")
    assert [a.title for a in prefix.articles] == ["Volcker term likely"]
    assert prefix.suggestion is None
    assert [a.title for a in search("q=title:opec").articles] == ["Opec output falls"]
    phrase = search('q="Paul Volcker"')
    assert phrase.count == 1 and phrase.suggestion is None
    assert [a.title for a in search("q=person:volcker").articles] == ["Volcker term likely"]
    assert search("q=organization:opec -title:output").count == 0
    page = client.get("/", {"q": "Volck*"}).content.decode()
    assert "Search tips" in page and "person:volcker" in page and "Did you mean" not in page


def test_autocomplete_folds_accents(client, spelled):
    results = client.get("/api/entities/autocomplete/?q=alvarez").json()["results"]
    assert [r["name"] for r in results] == ["José Álvarez"]


def test_a_hyphen_inside_a_word_joins_it_and_a_leading_hyphen_excludes(spelled):
    assert sorted(a.title for a in search("q=Rolls-Royce").articles) == [
        "Engines",
        "Rolls-Royce engine order",
    ]
    assert [a.title for a in search("q=year-on-year").articles] == ["Trade"]
    assert [a.title for a in search("q=royce+-order").articles] == ["Engines"]
    assert search('q="won+an+engine"+Rolls-Royce').count == 1


# Every facet value reachable.


@pytest.fixture
def many_places():
    for i in range(FACET_LIMIT + 5):
        make_article(f"Report {i}", person=("Ana Reis",), place=(f"Town {i:02d}",))
    make_article("Zürich report", person=("Ana Reis",), place=("Zürich",))
    make_article("Elsewhere", person=("Rui Tavares",), place=("Zürich", "Lisbon"))


def test_a_facet_offers_more_and_the_facet_page_reaches_every_value(client, many_places):
    reis = entity("Ana Reis").pk
    outcome = search(f"person={reis}")
    assert outcome.facets["place"].more
    page = facet_values_page(parse_params(QueryDict(f"person={reis}")), BY_NAME["place"])
    assert page.total == FACET_LIMIT + 6
    assert "Town 54" in {v.name for v in page.column.values}
    response = client.get(f"/facets/place/?person={reis}&offset=50")
    html = response.content.decode()
    assert response.status_code == 200 and "51–56 shown" in html


def test_the_facet_search_finds_any_value_with_counts_within_the_results(client, many_places):
    reis = entity("Ana Reis").pk
    data = client.get(f"/api/facets/place/?person={reis}&contains=zurich").json()
    assert [(v["name"], v["count"]) for v in data["values"]] == [("Zürich", 1)]
    assert f"person={reis}" in data["values"][0]["select_url"]
    # Lisbon exists, but not in these results.
    assert client.get(f"/api/facets/place/?person={reis}&contains=lisbon").json()["values"] == []
    assert client.get("/api/facets/nothing/").status_code == 400


# Dates.


def test_empty_years_are_shown_and_a_bar_narrows_to_its_year(client):
    make_article("Old", published="2016-05-01")
    make_article("New", published="2022-03-01")
    outcome = search()
    assert outcome.date_unit == "year"
    assert [(b.start.year, b.count) for b in outcome.dates] == [
        (2016, 1),
        (2017, 0),
        (2018, 0),
        (2019, 0),
        (2020, 0),
        (2021, 0),
        (2022, 1),
    ]
    year = parsed(outcome.dates[0].url)
    assert (year.date_from, year.date_to) == (date(2016, 1, 1), date(2016, 12, 31))
    narrowed = run_search(year)
    assert [a.title for a in narrowed.articles] == ["Old"]
    assert narrowed.date_unit == "day"
    chip = next(c for c in narrowed.chips if c.facet == "date")
    assert parsed(chip.url).date_from is None
    assert "2016-01-01 – 2016-12-31" in client.get(outcome.dates[0].url).content.decode()


def test_the_chart_unit_follows_the_span_of_the_results_not_a_stray_article(client):
    for n in range(60):  # February and March 1987
        make_article(f"Oil report {n}", published=f"1987-0{2 + n % 2}-{1 + n % 28:02d}")
    make_article("Oil in another decade", published="1997-06-01")
    outcome = search("q=oil")
    assert outcome.date_unit == "day"
    bars = [b for b in outcome.dates if not b.gap]
    assert sum(b.count for b in bars) == 61 and bars[-1].start == date(1997, 6, 1)
    assert [b.gap for b in outcome.dates].count(True) == 1  # ten empty years are one marker
    page = client.get("/", {"q": "oil"}).content.decode()
    assert 'class="gap"' in page and "1 Feb 1987" in page
    weeks = search("q=oil&date_from=1987-02-01&date_to=1987-06-30")
    assert weeks.date_unit == "day"  # the results span two months, whatever the range says
    assert search("date_from=1997-01-01").date_unit == "day"  # the one article


def test_entity_timeline_shows_empty_months(client):
    make_article("Jan", person=("Ana Reis",), published="2025-01-10")
    make_article("Apr", person=("Ana Reis",), published="2025-04-02")
    timeline = entity_profile(entity("Ana Reis")).timeline
    assert [(row["month"].month, row["count"]) for row in timeline] == [
        (1, 1),
        (2, 0),
        (3, 0),
        (4, 1),
    ]


# Smaller things a reader notices.


def test_an_empty_query_says_it_lists_newest_first(client, people):
    html = client.get("/").content.decode()
    assert re.search(r'aria-current="true">newest<', html)
    assert ">relevance<" not in html
    assert re.search(r'aria-current="true">relevance<', client.get("/?q=Lisbon").content.decode())


def test_article_and_entity_pages_lead_back_to_the_search(client, people):
    moura = entity("Helena Moura")
    html = client.get(f"/?q=Porto&person={moura.pk}").content.decode()
    article_link = next(h for h in page_links(html) if h.startswith("/articles/"))
    article_page = client.get(article_link).content.decode()
    assert f'href="/?q=Porto&amp;person={moura.pk}">← Search' in article_page
    entity_page = client.get(moura.get_absolute_url()).content.decode()
    assert f'href="/?person={moura.pk}"' in entity_page  # "Search these articles"


def test_chips_say_or(client, people):
    moura, tavares = entity("Helena Moura").pk, entity("Rui Tavares").pk
    html = client.get(f"/?person={moura}&person={tavares}&person_op=or").content.decode()
    assert re.search(r">or Rui Tavares ✕<", html)


# What the backend cannot do, it refuses.


@pytest.mark.whoosh_only
def test_backend_refuses_what_it_cannot_do(people):
    from search.engines.whoosh.backend import Unsupported

    with pytest.raises(Unsupported, match="one field, not 2"):
        list(SearchQuerySet().all().order_by("-published", "title"))
    with pytest.raises(Unsupported, match="more_like_this"):
        list(SearchQuerySet().more_like_this(Article.objects.first()))
    with pytest.raises(Unsupported, match="narrow"):
        list(SearchQuerySet().filter(person="1"))
    with pytest.raises(Unsupported, match="highlight"):
        list(SearchQuerySet().all().highlight())
    with pytest.raises(Unsupported, match="query_facets"):
        SearchQuerySet().all().query_facet("person", "1").facet_counts()
    with (
        pytest.warns(UserWarning, match="not registered"),
        pytest.raises(Unsupported, match="articles only"),
    ):
        list(SearchQuerySet().models(Entity))
    with pytest.raises(Unsupported, match="not a facet"):
        SearchQuerySet().all().facet("title").facet_counts()
    # What it does support still works.
    moura = entity("Helena Moura").pk
    assert SearchQuerySet().models(Article).narrow(f"person:{moura}").count() == 2


def test_the_archive_runs_on_its_own_engines_only(settings):
    assert not [e for e in run_checks() if e.id.startswith("search.")]
    stock = {"default": {"ENGINE": "haystack.backends.whoosh_backend.WhooshEngine", "PATH": "x"}}
    with override_settings(HAYSTACK_CONNECTIONS=stock):
        errors = [e for e in run_checks() if e.id == "search.E001"]
    assert errors and "works through" in errors[0].msg
    with override_settings(SEARCH_ENGINE="elastic"):
        errors = [e for e in run_checks() if e.id == "search.E002"]
    assert errors and "'whoosh' or 'solr' only" in errors[0].msg


def test_chosen_values_come_first_with_their_counts_even_beyond_the_top(client, many_places):
    # Zürich (2 articles) heads the places; each town has one, so most are not in the top 50.
    towns = Entity.objects.filter(name__startswith="Town").order_by("-name")
    late, later = str(towns[0].pk), str(towns[1].pk)
    outcome = search(f"place={late}&place={later}&place_op=or")
    column = outcome.facets["place"].values
    assert [(v.value, v.count, v.selected) for v in column[:2]] == [
        (late, 1, True),
        (later, 1, True),
    ]
    assert outcome.count == 2
    # The other places say what choosing them too would add.
    zurich = next(v for v in column if v.name == "Zürich")
    assert zurich.adds == 2 and zurich.count == 2
    body = client.get("/api/search/", {"place": [late, later], "place_op": "or"}).json()
    assert body["facets"]["place"][0]["count"] == 1 and "adds" not in body["facets"]["place"][0]
    assert {"name": "Zürich", "adds": 2}.items() <= next(
        v for v in body["facets"]["place"] if v["name"] == "Zürich"
    ).items()
    page = client.get("/", {"place": [late, later], "place_op": "or"}).content.decode()
    assert 'title="Choosing Zürich too adds 2 articles to the results">+2<' in page


def test_each_result_lists_the_chosen_entities_first(client):
    article = make_article("Crowded", person=(*(f"Person {n}" for n in range(8)), "Last Named"))
    last = Entity.objects.get(name="Last Named")
    outcome = search(f"person={last.pk}")
    shown = outcome.articles[0].shown_mentions
    assert shown[0].entity.name == "Last Named" and shown[0].chosen
    assert len(shown) == 6 and not any(m.chosen for m in shown[1:])
    page = client.get("/", {"person": last.pk}).content.decode()
    assert "chip-chosen" in page and article.title in page


def test_an_article_opened_from_a_search_marks_its_words_and_keeps_the_search(client):
    article = make_article(
        "Strike in Lisbon",
        "Dockers strike in Lisbon. The strike spread; Helena Moura spoke of strikes.",
        person=("Helena Moura",),
    )
    Mention.objects.filter(article=article).update(offsets=[[45, 57]])
    search_query = "q=strike+-dockers&place_op=or"
    page = client.get(article.get_absolute_url(), {"search": search_query}).content.decode()
    assert page.count('<mark class="hit"') == 3  # strike, strike, strikes; not the -word
    assert 'id="hit-1"' in page and 'id="hit-3"' in page and "3 matches" in page
    assert ">Dockers<" not in page
    moura = Entity.objects.get(name="Helena Moura")
    # The mention in the text, like the list beside it, keeps the search.
    expected = f"{moura.get_absolute_url()}?search=q%3Dstrike%2B-dockers%26place_op%3Dor"
    assert page.count(expected) == 2
    plain = client.get(article.get_absolute_url()).content.decode()
    assert "<mark" not in plain and "matches" not in plain


def test_the_search_page_has_a_heading_a_telling_title_and_skip_links(client, people):
    moura = Entity.objects.get(name="Helena Moura")
    page = client.get("/", {"q": "strike", "person": moura.pk}).content.decode()
    assert "<title>“strike”, 1 filter: 1 article · Article archive</title>" in page
    assert '<h1 class="visually-hidden">Search results for “strike”</h1>' in page
    assert 'href="#results">Skip to results' in page and 'id="results"' in page
    assert 'href="#facets">Skip to filters' in page and 'id="facets"' in page
    assert "<title>All articles: 5 articles" in client.get("/").content.decode()
