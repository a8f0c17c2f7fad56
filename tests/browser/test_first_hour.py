"""What a journalist and a curator meet in their first hour, in Chromium at 1280 px: chosen
values shown with their counts, a date chart in days for a month of results, the search
syntax journalists type, the searched words marked in an article, undo from a message, and
suggested duplicates that are right."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from archive.models import Article, Entity, Mention
from tests.browser.conftest import NEEDS_CHROMIUM, log_in_as_curator, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


@pytest.fixture
def wire():
    people = ("James Baker", "Paul Volcker", "Malcolm Baldrige", "Nigel Lawson")
    for n in range(30):
        make_article(
            f"Monetary talks day {n + 1}",
            f"Officials met on day {n + 1}. Paul Volcker and the Treasury spoke of rates.",
            person=(people[n % 4], people[(n + 2) % 4]),
            place=("Washington",) if n % 3 else ("Washington", "Brazil"),
            organization=("Treasury", "OPEC") if n % 2 else ("Treasury",),
            published=f"1987-03-{n % 28 + 1:02d}",
        )
    make_article("Opec output falls", "The cartel cut its output.", organization=("OPEC",),
                 published="1987-03-15")  # fmt: skip


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def column(page, facet: str):
    return page.locator(f'.facet[data-facet="{facet}"] .facet-values li')


def test_or_with_an_exclusion_and_dates_shows_the_chosen_values_with_their_counts(
    page, live_server, wire
):
    baker, volcker = (Entity.objects.get(name=n) for n in ("James Baker", "Paul Volcker"))
    brazil = Entity.objects.get(name="Brazil")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(
        f"{live_server.url}/?person={baker.pk}&person={volcker.pk}&person_op=or"
        f"&exclude_place={brazil.pk}&date_from=1987-03-01&date_to=1987-03-31"
    )
    shown = Article.objects.filter(published__month=3).exclude(mentions__entity=brazil)
    either = shown.filter(mentions__entity__in=[baker, volcker]).distinct()
    expect(page.locator(".summary strong")).to_have_text(str(either.count()))
    first, second = column(page, "person").nth(0), column(page, "person").nth(1)
    for row, person in ((first, baker), (second, volcker)):
        expect(row).to_have_class(re.compile("selected"))
        expect(row).to_contain_text(person.name)
        expect(row.locator(".count")).to_have_text(
            str(either.filter(mentions__entity=person).count())
        )
    # Every result names one of them, and shows it first.
    for result in page.locator(".results .result").all():
        expect(result.locator(".entities li").first).to_contain_text(re.compile("Baker|Volcker"))
    # The other people say what choosing them too would add.
    other = column(page, "person").filter(has_text="Malcolm Baldrige")
    expect(other.locator(".count")).to_have_text(re.compile(r"^\+\d+$"))
    # The month of results is charted by day.
    expect(page.locator(".facet-dates .bars li").first).to_contain_text("Mar 1987")
    assert re.match(r"\d+ Mar 1987", page.locator(".facet-dates .label").first.inner_text())
    shot(page, "first-hour-or-exclusion")


def test_what_journalists_type_gives_no_false_suggestion(page, live_server, wire):
    for query, title in (
        ("Volck*", "Monetary talks"),
        ("title:opec", "Opec output falls"),
        ('"Paul Volcker"', "Monetary talks"),
    ):
        page.goto(live_server.url + "/")
        page.fill("input[name=q]", query)
        page.press("input[name=q]", "Enter")
        expect(page.locator(".results .result").first).to_contain_text(title)
        expect(page.locator(".suggestion")).to_have_count(0)
    page.locator("details.search-tips summary").click()
    expect(page.locator("details.search-tips")).to_contain_text("person:volcker")


def test_an_article_from_a_search_marks_and_steps_through_the_words(page, live_server, wire):
    article = Article.objects.get(title="Monetary talks day 2")
    volcker = Mention.objects.get(article=article, entity__name="Paul Volcker")
    start = article.body.index("Paul Volcker")
    volcker.offsets = [[start, start + 12]]
    volcker.save()
    page.goto(live_server.url + "/?q=rates+officials")
    page.get_by_role("link", name="Monetary talks day 2", exact=True).click()
    marks = page.locator("mark.hit")
    expect(marks).to_have_count(2)
    page.locator(".hit-step[data-step='1']").click()
    expect(page.locator("mark.hit.current")).to_have_attribute("id", "hit-1")
    expect(page.locator(".hit-at")).to_have_text("1 of 2")
    page.keyboard.press("n")
    expect(page.locator("mark.hit.current")).to_have_attribute("id", "hit-2")
    # The person named in the text keeps the search it was opened from.
    page.locator("a.mention", has_text="Paul Volcker").click()
    expect(page.locator("a", has_text="← Search").first).to_have_attribute(
        "href", re.compile(r"q=rates\+officials")
    )
    shot(page, "first-hour-article-hits")


def test_merge_and_block_undo_from_their_messages(page, live_server, wire):
    make_article("Lawson note", person=("N. Lawson",), published="1987-03-02")
    log_in_as_curator(page, live_server)
    lawson, short = Entity.objects.get(name="Nigel Lawson"), Entity.objects.get(name="N. Lawson")
    page.goto(live_server.url + "/admin/archive/entity/?q=Lawson")
    for entity in (lawson, short):
        page.locator(f"input.action-select[value='{entity.pk}']").check()
    page.select_option("select[name=action]", "merge")
    page.click("button[name=index]")
    page.get_by_role("button", name="Merge").click()
    expect(page.locator(".messagelist")).to_contain_text("Merged N. Lawson into Nigel Lawson")
    page.locator(".messagelist a", has_text="Undo").click()
    expect(page.locator(".undo-list")).to_contain_text("N. Lawson")
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.locator(".messagelist")).to_contain_text("Restored N. Lawson")
    assert Entity.objects.filter(pk=short.pk).exists()

    brazil = Entity.objects.get(name="Brazil")
    articles = brazil.mentions.count()
    page.goto(live_server.url + "/admin/archive/entity/?q=Brazil")
    page.locator(f"input.action-select[value='{brazil.pk}']").check()
    page.select_option("select[name=action]", "block")
    page.click("button[name=index]")
    expect(page.locator(".block-effects")).to_contain_text(f"taken out of {articles} articles")
    page.get_by_role("button", name="Block").click()
    expect(page.locator(".messagelist")).to_contain_text("Blocked Brazil")
    assert not Entity.objects.filter(name="Brazil").exists()
    page.locator(".messagelist a", has_text="Undo").click()
    page.get_by_role("button", name="Unblock").click()
    expect(page.locator(".messagelist")).to_contain_text("Unblocked Brazil: Brazil")
    assert Entity.objects.get(name="Brazil").mentions.count() == articles


def test_suggested_duplicates_offer_long_forms_not_neighbours(page, live_server):
    make_article("Trade ministers", place=("Australia", "Austria"), published="1987-03-03")
    make_article(
        "Community budget",
        "The European Community (EC) agreed its budget.",
        organization=("European Community", "EC"),
    )
    make_article("Farm talks", organization=("EC",))
    log_in_as_curator(page, live_server)
    page.goto(live_server.url + "/admin/archive/entity/duplicates/")
    expect(page.locator("body")).to_contain_text("European Community")
    expect(page.locator("body")).not_to_contain_text("Austria")
    shot(page, "first-hour-duplicates")


def test_a_range_of_dates_in_one_drag(page, live_server, wire):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/?q=officials")
    bars = page.locator(".facet-dates ol.bars a")
    expect(page.locator(".facet-dates ol.bars")).to_have_attribute("data-drag", "ready")
    first, last = bars.nth(2), bars.nth(5)
    first_box, last_box = first.bounding_box(), last.bounding_box()
    page.mouse.move(first_box["x"] + 20, first_box["y"] + first_box["height"] / 2)
    page.mouse.down()
    page.mouse.move(last_box["x"] + 20, last_box["y"] + last_box["height"] / 2, steps=8)
    expect(page.locator(".facet-dates a.in-range")).to_have_count(4)
    with page.expect_navigation():
        page.mouse.up()
    chosen = params(page.url)
    assert chosen["date_from"] == ["1987-03-03"] and chosen["date_to"] == ["1987-03-06"]
    assert chosen["q"] == ["officials"]
    # The days from the first bar's start to the last bar's end, and nothing else.
    within = Article.objects.filter(published__date__range=("1987-03-03", "1987-03-06"))
    expect(page.locator(".summary strong")).to_have_text(str(within.count()))
    # A plain click on a bar still chooses that bar alone.
    page.locator(".facet-dates ol.bars a").first.click()
    assert params(page.url)["date_from"] == params(page.url)["date_to"]


def test_the_first_hour_pieces_at_phone_width(live_server, wire, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        baker, volcker = (Entity.objects.get(name=n) for n in ("James Baker", "Paul Volcker"))
        page.goto(f"{live_server.url}/?q=rates&person={baker.pk}&person={volcker.pk}&person_op=or")
        page.get_by_role("link", name=re.compile(r"^Filters")).click()
        first = column(page, "person").nth(0)
        expect(first).to_have_class(re.compile("selected"))
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390  # nothing makes the page scroll sideways
        adds = column(page, "person").filter(has_text="Malcolm Baldrige").locator(".count")
        expect(adds).to_have_text(re.compile(r"^\+\d+$"))
        shot(page, "phone-first-hour-facets", full_page=False)
        page.get_by_role("link", name="Close filters").click()
        tips = page.locator("details.search-tips summary")
        assert tips.bounding_box()["height"] >= 40
        page.locator(".results h3 a").first.click()
        page.wait_for_load_state()
        steps = page.locator(".hit-step")
        for n in range(steps.count()):
            box = steps.nth(n).bounding_box()
            assert box["height"] >= 40 and box["width"] >= 40
        steps.last.click()
        expect(page.locator("mark.hit.current")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "phone-first-hour-article", full_page=False)
    finally:
        context.close()
