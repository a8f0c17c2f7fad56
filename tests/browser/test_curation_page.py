"""A curator in a real browser: merge from the suggested duplicates choosing the survivor,
remove one entity from one article, block a name, re-extract; all three hold."""

import pytest
from playwright.sync_api import expect

from archive.models import Article, Entity
from tests.browser.conftest import NEEDS_CHROMIUM, log_in_as_curator, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


@pytest.fixture
def war_reports():
    make_article(
        "Forces retake town",
        "Ukrainian forces retook Balakliya on Friday, Oleh Synehubov said in Kharkiv.",
        person=("Oleh Synehubov",),
        place=("Balakliya", "Kharkiv"),
    )
    make_article(
        "Residents return",
        "Residents returned to Balaklia on Monday, said Oleh Synehubov, the governor.",
        person=("Oleh Synehubov",),
        place=("Balaklia",),
    )
    make_article(
        "Dock talks",
        "Dock workers in Lisbon met Ana Ferreira in Porto to discuss the strike.",
        person=("Ana Ferreira",),
        place=("Lisbon", "Porto"),
    )


def places(article_title: str) -> set[str]:
    article = Article.objects.get(title=article_title)
    return {m.entity.name for m in article.mentions.select_related("entity")}


def test_merge_removal_and_block_hold_through_reextraction(live_server, war_reports, page):
    log_in_as_curator(page, live_server)

    page.goto(live_server.url + "/admin/archive/entity/duplicates/?q=balak")
    row = page.locator("tr", has_text="Balakliya")
    # The fuller spelling is proposed; the curator keeps the other one.
    assert row.get_by_label("Balakliya", exact=False).first.is_checked()
    row.locator("label", has_text="Balaklia (").locator("input").check()
    shot(page, "admin-duplicates")
    row.get_by_role("button", name="Merge").click()
    expect(page.locator(".messagelist")).to_contain_text("Merged Balakliya into Balaklia")

    page.goto(live_server.url + "/admin/archive/entity/?q=Porto")
    page.locator("tr", has_text="Porto").locator("input.action-select").check()
    page.select_option("select[name=action]", "block")
    page.click("button[name=index]")
    # It says what it will change first, and can be undone from its message after.
    expect(page.locator(".block-effects")).to_contain_text("Porto (Place): taken out of")
    page.get_by_role("button", name="Block").click()
    expect(page.locator(".messagelist")).to_contain_text("Blocked Porto")
    expect(page.locator(".messagelist a", has_text="Undo")).to_be_visible()

    dock = Article.objects.get(title="Dock talks")
    page.goto(live_server.url + f"/admin/archive/article/{dock.pk}/change/")
    lisbon_row = page.locator(
        "tr.form-row", has=page.locator("option[selected]", has_text="Lisbon")
    )
    lisbon_row.locator("input[type=checkbox][name$=DELETE]").check()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert "Lisbon" not in places("Dock talks")

    page.goto(live_server.url + "/admin/archive/article/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "reextract")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("Queued the re-extraction of 3 articles")

    assert not Entity.objects.filter(name="Balakliya").exists()
    assert Entity.objects.get(name="Balaklia").mentions.count() == 2
    assert not Entity.objects.filter(name="Porto").exists()
    assert "Lisbon" not in places("Dock talks") and "Ana Ferreira" in places("Dock talks")

    page.goto(live_server.url + "/?q=Synehubov")
    column = page.locator("section.facet[data-facet=place]")
    assert column.get_by_role("link", name="Balaklia", exact=True).count() == 1
    assert column.locator("li", has_text="Balaklia").locator(".count").inner_text() == "2"
