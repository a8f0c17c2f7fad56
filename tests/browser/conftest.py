"""Browser fixtures: Playwright driving Debian's Chromium.

Screenshots go to $SCREENSHOT_DIR (default var/screenshots), which `.ci/run` prints.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)
HOSTILE = '<img src=x onerror="window.__pwned = 1">'

NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Chromium is not installed (apt-get install chromium, as .ci/run does)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls in the test
    # (not in an async context of their own) are safe, as Playwright's docs for Django say.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def log_in_as_curator(page, live_server) -> None:
    """A staff account in the Curators group, logged in through the admin's form."""
    from django.contrib.auth.models import Group, User

    from archive.permissions import CURATORS

    curator = User.objects.create_user("curator", password="a long passphrase", is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    page.goto(live_server.url + "/admin/")
    page.fill("input[name=username]", "curator")
    page.fill("input[name=password]", "a long passphrase")
    page.click("input[type=submit]")
