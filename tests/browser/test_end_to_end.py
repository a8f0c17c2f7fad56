"""A reader and a curator in a real browser (Playwright driving Debian's Chromium).

Screenshots of the search page and the admin go to $SCREENSHOT_DIR (default
var/screenshots), which `.ci/run` prints.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HOSTILE, NEEDS_CHROMIUM, log_in_as_curator, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


@pytest.fixture
def archive():
    for n in range(24):
        make_article(
            f"Harbor strike day {n + 1}",
            f"Dock workers in Lisbon stayed out on day {n + 1} of the harbor strike.",
            person=("Rui Tavares",) if n % 2 else ("Helena Moura",),
            place=("Lisbon",) if n % 3 else ("Lisbon", "Sines"),
            organization=("Atlantic Dockworkers Union",),
            published=f"2025-{n % 12 + 1:02d}-10",
        )
    make_article(
        f"<script>window.__pwned = 1</script> harbor notice {HOSTILE}",
        "A harbor notice with hostile markup in its title and entity names.",
        person=(HOSTILE,),
        place=("Porto",),
        published="2024-05-01",
    )


def count(page) -> int:
    return int(page.locator(".summary strong").inner_text())


def test_reader_searches_narrows_pages_and_goes_back(live_server, archive, page):
    page.goto(live_server.url + "/")
    page.fill("input[name=q]", "harbor")
    page.click("button[type=submit]")
    assert count(page) == 25
    shot(page, "search-page")

    places = page.locator("section.facet[data-facet=place]")
    places.get_by_role("link", name="Sines", exact=True).click()
    assert "place=" in page.url and count(page) == 8
    assert page.locator(".chip", has_text="Sines").count() >= 1

    page.go_back()
    assert count(page) == 25
    page.locator("section.facet[data-facet=person]").get_by_label("Exclude Rui Tavares").click()
    assert "exclude_person=" in page.url and count(page) == 13

    page.fill("input[name=date_from]", "2025-06-01")
    page.fill("input[name=date_to]", "2025-12-31")
    page.click("button[type=submit]")
    assert "date_from=2025-06-01" in page.url and 0 < count(page) < 13

    page.goto(live_server.url + "/?q=harbor")
    page.get_by_role("link", name="Next →").click()
    assert "page=2" in page.url
    assert page.locator("li.result").count() == 5

    page.locator("li.result h3 a").first.click()
    assert "/articles/" in page.url
    page.locator("a[href*='/entities/']").first.click()
    assert "/entities/" in page.url
    page.go_back()
    page.go_back()
    assert "page=2" in page.url


def test_hostile_markup_never_runs(live_server, archive, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_server.url + "/?q=" + "<script>window.__pwned=1</script>")
    page.goto(live_server.url + "/?q=notice")
    assert "<script>" in page.locator("li.result h3").first.inner_text()  # shown as text
    page.locator("li.result h3 a").first.click()
    page.locator("a[href*='/entities/']", has_text="onerror").first.click()
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_curator_merges_in_the_admin_and_search_follows(live_server, archive, page):
    log_in_as_curator(page, live_server)
    page.goto(live_server.url + "/admin/archive/entity/?kind__exact=person")
    shot(page, "admin-entities")
    for name in ("Helena Moura", "Rui Tavares"):
        page.locator("tr", has_text=name).locator("input.action-select").check()
    page.select_option("select[name=action]", "merge")
    page.click("button[name=index]")
    page.get_by_label("Helena Moura (person, 12 articles)").check()
    page.click("input[value=Merge]")
    expect(page.locator(".messagelist")).to_contain_text("Merged Rui Tavares into Helena Moura")

    page.goto(live_server.url + "/?q=harbor")
    people = page.locator("section.facet[data-facet=person]")
    assert people.get_by_role("link", name="Helena Moura", exact=True).count() == 1
    assert people.get_by_role("link", name="Rui Tavares", exact=True).count() == 0
    row = people.locator("li", has_text="Helena Moura")
    assert row.locator(".count").inner_text() == "24"
