"""A reader in a real browser: signs in from the search page, saves the search, sees what is
new on "My searches", and follows the search's Atom feed."""

import feedparser
import pytest
from django.contrib.auth.models import User

from tests.browser.conftest import NEEDS_CHROMIUM, shot
from tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True), NEEDS_CHROMIUM]


def test_save_a_search_and_see_what_is_new(live_server, page):
    User.objects.create_user("reader", "reader@example.org", "a long passphrase")
    make_article("Ferry strike in Tromsø", place=("Tromsø",))

    page.goto(live_server.url + "/?q=ferry")
    page.click("text=Sign in")
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "a long passphrase")
    page.click("button[type=submit]")
    assert page.url.endswith("/?q=ferry")  # back where the reader was

    page.click("summary:has-text('Save this search')")
    assert page.input_value("input[name=name]") == "ferry"
    page.select_option("select[name=digest]", "daily")
    page.click(".save-search button[type=submit]")
    assert "Saved “ferry”" in page.inner_text(".messages")
    assert page.inner_text(".saved-search .new-count") == "none new"

    make_article("Night ferry approved", place=("Tromsø",))
    make_article("Budget vote", body="The council voted on the budget.")
    page.reload()
    assert page.inner_text(".saved-search .new-count") == "1 new"
    shot(page, "my-searches")

    feed_url = page.get_attribute(".feed-link", "href")
    feed = feedparser.parse(page.request.get(live_server.url + feed_url).body())
    assert [entry.title for entry in feed.entries] == ["Night ferry approved"]

    page.click(".saved-search a:has-text('ferry')")
    assert "Night ferry approved" in page.inner_text(".hits")
    page.goto(live_server.url + "/my/")
    assert page.inner_text(".saved-search .new-count") == "none new"
