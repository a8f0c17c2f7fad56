"""axe-core (4.14.1, vendored: tests/browser/vendor) on the pages readers use: no serious or
critical violation on the search, article, entity, network, pair and name-list pages."""

from pathlib import Path

import pytest

from archive.models import Article, Entity, Mention
from tests.browser.conftest import NEEDS_CHROMIUM
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


@pytest.fixture
def archive():
    people = ("Helena Moura", "Rui Tavares", "Inês Carvalho")
    for n in range(12):
        make_article(
            f"Harbor strike day {n + 1}",
            f"Dock workers in Lisbon stopped work on day {n + 1}; Helena Moura spoke.",
            person=(people[n % 3], people[(n + 1) % 3]),
            place=("Lisbon",) if n % 2 else ("Lisbon", "Sines"),
            organization=("Atlantic Dockworkers Union",),
            published=f"2025-0{n % 9 + 1}-1{n % 9}",
        )
    article = Article.objects.get(title="Harbor strike day 1")
    Mention.objects.filter(article=article, entity__name="Helena Moura").update(
        offsets=[[article.body.index("Helena"), article.body.index("Helena") + 12]]
    )
    return article


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_readers_pages_have_no_serious_accessibility_violation(page, live_server, archive):
    moura, lisbon = Entity.objects.get(name="Helena Moura"), Entity.objects.get(name="Lisbon")
    pages = {
        "search": f"/?q=strike&place={lisbon.pk}",
        "article": f"{archive.get_absolute_url()}?search=q%3Dstrike",
        "entity": moura.get_absolute_url(),
        "network": "/network/?q=strike",
        "pair": f"/pair/?a={moura.pk}&b={lisbon.pk}",
        "names": "/names/?names=Helena+Moura%0ALisbon",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        if found := serious_violations(page):
            problems[name] = found
    assert not problems, problems
