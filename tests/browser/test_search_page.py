"""The search page in a real browser: filters kept across every click, accents forgiven,
every facet value reachable, clickable dates, a phone layout."""

import csv
import io
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from archive.models import Entity
from search.query import FACET_LIMIT
from tests.browser.conftest import NEEDS_CHROMIUM, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]

PEOPLE = ("Helena Moura", "Rui Tavares", "Marcus Bell", "Patrick O'Neill")


@pytest.fixture
def archive():
    for n in range(44):
        places = ("Lisbon", f"Town {n:02d}") if n < 40 else ("Zürich", f"Village {n}")
        make_article(
            f"Port report {n + 1}",
            f"Dock workers met in {' and '.join(places)} on day {n + 1}.",
            person=(PEOPLE[n % 4], PEOPLE[(n + 1) % 4]),
            place=places,
            organization=("Atlantic Dockworkers Union",),
            published=f"{2019 + n % 4 * 2}-{n % 12 + 1:02d}-10",
        )
    for n in range(FACET_LIMIT - 36):
        make_article(f"Filler {n}", place=(f"Hamlet {n:02d}",), published="2021-05-05")
    make_article("Rolls-Royce wins an order", "Rolls-Royce won an engine order in Derby.")


def count(page) -> int:
    return int(page.locator(".summary strong").inner_text())


def ids(*names) -> list[str]:
    return [str(Entity.objects.get(name=n).pk) for n in names]


def params(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def people_column(page):
    return page.locator("section.facet[data-facet=person]")


def test_two_people_and_two_exclusions_survive_sort_page_date_and_export(
    live_server, archive, page
):
    moura, tavares, bell, oneill = ids(*PEOPLE)
    page.goto(live_server.url + "/?q=dock")
    people_column(page).get_by_role("link", name="Helena Moura", exact=True).click()
    people_column(page).get_by_role("link", name="Rui Tavares", exact=True).click()
    assert params(page.url)["person"] == [moura, tavares]
    and_count = count(page)
    page.locator(".summary").get_by_role("link", name="oldest").click()
    assert params(page.url) == {"q": ["dock"], "person": [moura, tavares], "sort": ["oldest"]}
    assert count(page) == and_count
    page.locator(".summary").get_by_role("link", name="relevance").click()

    people_column(page).get_by_role("link", name="all of (AND)").click()
    assert params(page.url)["person_op"] == ["or"]
    assert count(page) > 20 > and_count
    page.get_by_role("link", name="Next →").click()
    assert params(page.url) == {
        "q": ["dock"],
        "person": [moura, tavares],
        "person_op": ["or"],
        "page": ["2"],
    }
    page.get_by_label("Exclude Marcus Bell").click()
    page.get_by_label("Exclude Patrick O'Neill").click()
    expected = {
        "q": ["dock"],
        "person": [moura, tavares],
        "person_op": ["or"],
        "exclude_person": [bell, oneill],
    }
    assert params(page.url) == expected
    shown = count(page)
    assert page.locator(".chip", has_text="or Rui Tavares").count() == 1

    page.locator(".summary").get_by_role("link", name="oldest").click()
    assert params(page.url) == {**expected, "sort": ["oldest"]}
    assert count(page) == shown

    page.locator("ol.bars a").first.click()
    after_date = params(page.url)
    assert {k: after_date[k] for k in expected} == expected and "date_from" in after_date
    dated = count(page)
    assert 0 < dated <= shown
    assert page.locator(".chip-date").count() == 1

    export = page.locator("a.export-csv").get_attribute("href")
    with urlopen(live_server.url + export) as response:
        rows = list(csv.reader(io.StringIO(response.read().decode())))
    assert len(rows) - 1 == dated

    page.locator(".chip-date").click()
    assert params(page.url) == {**expected, "sort": ["oldest"]}


def test_accents_and_hyphens(live_server, archive, page):
    page.goto(live_server.url + "/?q=Zurich")
    assert count(page) == 4
    page.goto(live_server.url + "/")
    page.fill("input[name=q]", "Rolls-Royce")
    page.click("button[type=submit]")
    assert count(page) == 1
    assert page.locator("li.result h3").inner_text() == "Rolls-Royce wins an order"


def test_a_place_past_the_fiftieth_through_more_and_through_the_facet_search(
    live_server, archive, page
):
    page.goto(live_server.url + "/")
    places = page.locator("section.facet[data-facet=place]")
    assert places.locator("ul.facet-values > li").count() == FACET_LIMIT
    shown = set(places.locator("a.value").all_inner_texts())
    every = set(Entity.objects.filter(kind="place").values_list("name", flat=True))
    hidden = sorted(every - shown)
    assert len(every) == 60 and len(hidden) == 60 - FACET_LIMIT
    places.get_by_role("link", name="All places in these results →").click()
    page.get_by_role("link", name=hidden[0], exact=True).click()
    assert count(page) >= 1 and params(page.url)["place"] == ids(hidden[0])

    page.goto(live_server.url + "/")
    places.get_by_label("Find places in these results").fill(hidden[-1].lower())
    expect(places.locator("ul.facet-values > li")).to_have_count(1)
    places.get_by_role("link", name=hidden[-1], exact=True).click()
    shot(page, "facet-search")
    assert count(page) >= 1 and params(page.url)["place"] == ids(hidden[-1])


def test_a_date_bar_narrows_to_its_year_and_empty_years_show(live_server, archive, page):
    page.goto(live_server.url + "/?q=dock")
    labels = page.locator("ol.bars .label").all_inner_texts()
    assert labels == ["2019", "2020", "2021", "2022", "2023", "2024", "2025"]
    assert page.locator("ol.bars li", has_text="2020").locator(".count").inner_text() == "0"
    page.locator("ol.bars li", has_text="2021").locator("a").click()
    assert params(page.url)["date_from"] == ["2021-01-01"]
    assert params(page.url)["date_to"] == ["2021-12-31"]
    assert count(page) == 11
    assert page.locator("ol.bars .label").first.inner_text().endswith("2021")


def test_phone_layout_opens_filters_before_the_results(live_server, archive, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        moura = ids("Helena Moura")[0]
        page.goto(live_server.url + f"/?q=dock&person={moura}")
        toggle = page.get_by_role("link", name="Filters (1)")
        results = page.locator("ol.results")
        assert toggle.bounding_box()["y"] < results.bounding_box()["y"]
        assert not page.locator("aside.facets").is_visible()
        toggle.click()
        facets = page.locator("aside.facets")
        assert facets.is_visible()
        shot(page, "phone-filters", full_page=False)
        for target in [
            facets.locator(".exclude").first,
            facets.locator("a.value").first,
            facets.locator("ol.bars a").first,
            facets.locator(".facet-tools a").first,
            facets.get_by_label("Find places in these results"),
            page.get_by_role("link", name="Close filters"),
        ]:
            box = target.bounding_box()
            assert box["height"] >= 40 and box["width"] >= 40
        facets.get_by_label("Exclude Rui Tavares").click()
        assert "exclude_person" in page.url
        page.goto(live_server.url + f"/?q=dock&person={moura}")
        shot(page, "phone-results", full_page=False)
    finally:
        context.close()
