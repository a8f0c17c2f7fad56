"""Who appears with whom, in a real browser: a search's network (a node adds a filter, a line
opens the articles naming both) at desktop and phone width, and a pasted name list."""

import pytest
from playwright.sync_api import expect

from archive.models import Article, Entity
from tests.browser.conftest import NEEDS_CHROMIUM, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


@pytest.fixture
def archive():
    people = ("Helena Moura", "Rui Tavares", "Inês Carvalho", "Tomás Reis")
    for n in range(24):
        make_article(
            f"Harbor strike day {n + 1}",
            f"Dock workers stopped work again on day {n + 1}; talks went on into the night.",
            person=(people[n % 4], people[(n + 1) % 4]),
            place=("Lisbon",) if n % 3 else ("Lisbon", "Sines"),
            organization=("Atlantic Dockworkers Union",) if n % 2 else ("Port Authority",),
            published=f"2025-{n % 12 + 1:02d}-{n % 27 + 1:02d}",
        )


def test_network_node_adds_a_filter_and_a_line_opens_the_pair(page, live_server, archive):
    moura, sines = Entity.objects.get(name="Helena Moura"), Entity.objects.get(name="Sines")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/?q=strike")
    page.click("a.view-network")
    expect(page.locator(".network-node")).to_have_count(Entity.objects.count())
    shot(page, "network-desktop")

    page.click(f'.network-node[data-id="{moura.pk}"]')
    expect(page.locator(".chips .chip-person")).to_have_text("Helena Moura ✕")
    moura_articles = Article.objects.filter(mentions__entity=moura).count()
    expect(page.locator(".summary strong")).to_have_text(str(moura_articles))

    edge = page.locator(f'.network-edge[data-source="{moura.pk}"][data-target="{sines.pk}"]')
    if not edge.count():
        edge = page.locator(f'.network-edge[data-source="{sines.pk}"][data-target="{moura.pk}"]')
    # Lines cross, so the click goes to this line's link itself, not to a point on screen.
    edge.dispatch_event("click")
    expect(page.locator("h1")).to_contain_text("Helena Moura")
    expect(page.locator("h1")).to_contain_text("Sines")
    both = Article.objects.filter(mentions__entity=moura).filter(mentions__entity=sines)
    expect(page.locator(".pair-count")).to_have_text(str(both.count()))
    expect(page.locator(".results li")).to_have_count(both.count())
    shot(page, "network-pair")


def test_network_on_a_phone(page, live_server, archive):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/network/")
    figure = page.locator("figure.network").bounding_box()
    assert figure["width"] <= 390  # the page itself does not scroll sideways
    # Labels stay readable: the drawing keeps its scale and scrolls inside its frame.
    label = page.locator(".network-node text").first
    expect(label).to_be_visible()
    assert label.bounding_box()["height"] >= 12
    shot(page, "network-phone")
    page.locator(".network-node").first.click()
    expect(page.locator(".chips .chip")).to_have_count(1)


def test_name_list_with_a_misspelling_and_an_unknown_name(page, live_server, archive):
    page.goto(live_server.url + "/?q=strike")
    page.click("a.view-names")
    page.fill("textarea[name=names]", "Helena Moura\nRui Tavres\nNobody We Know\nlisbon")
    page.click("button[value=html]")
    expect(page.locator("h2", has_text="found")).to_have_text("2 of 4 found")
    misspelled = page.locator("tr", has_text="Rui Tavres")
    expect(misspelled.locator("a.candidate")).to_have_text("Rui Tavares")
    expect(page.locator("tr", has_text="Nobody We Know")).to_contain_text("not found")
    lisbon = Article.objects.filter(mentions__entity__name="Lisbon").count()
    lisbon_row = page.locator("table.name-rows tr", has_text="lisbon")
    expect(lisbon_row.locator("td.count")).to_have_text(str(lisbon))
    expect(page.locator("table.matrix")).to_be_visible()
    shot(page, "name-list")


@pytest.fixture
def crowded():
    for n in range(40):
        make_article(
            f"Oil report {n}",
            f"Oil report {n}.",
            person=(f"Petroleum Analyst Number {n % 9}",),
            place=(f"Northern Oilfield {n % 6}",),
            organization=(
                f"International Petroleum Trading Company {n % 25}",
                f"Gulf Refining Consortium {n % 12}",
            ),
        )


def test_network_labels_never_overlap_at_desktop_width(page, live_server, crowded):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/network/?q=oil&size=40")
    expect(page.locator(".network-node")).to_have_count(40)
    drawn = page.evaluate(
        """() => {
          const svg = document.querySelector('figure.network svg');
          const box = (el) => {
            const b = el.getBBox();
            return [b.x, b.y, b.x + b.width, b.y + b.height];
          };
          return {
            view: [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height],
            nodes: [...svg.querySelectorAll('.network-node')].map((a) => ({
              label: box(a.querySelector('text')), circle: box(a.querySelector('circle')) })),
          };
        }"""
    )
    shot(page, "network-crowded")

    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    width, height = drawn["view"]
    nodes = drawn["nodes"]
    for i, a in enumerate(nodes):
        for shape in (a["label"], a["circle"]):
            left, top, right, bottom = shape
            assert left >= 0 and top >= 0 and right <= width and bottom <= height
        for b in nodes[i + 1 :]:
            assert not overlap(a["label"], b["label"])
            assert not overlap(a["label"], b["circle"]) and not overlap(b["label"], a["circle"])
    kinds = page.evaluate(
        "() => [...document.querySelectorAll('.network-node')].map((a) => a.classList[1])"
    )
    assert {"node-person", "node-place", "node-organization"} <= set(kinds)
