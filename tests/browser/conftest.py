"""Playwright driving Debian's Chromium against pytest-django's live server.

Screenshots go to test-results/ so a person can look at what the tests saw; SCREENSHOTS=0
(as .ci/run sets: CI keeps no test-results/ for anyone to look at) takes none. No test
reads them: they are pictures for people, not checks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, service_missing

# Playwright's sync API runs an event loop in this thread; the ORM calls our tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
# A full-page PNG costs about as much as the page's load: a third of the time of the tests
# that visit every language.
TAKE_SCREENSHOTS = os.environ.get("SCREENSHOTS", "1").lower() not in {"0", "false", "no"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside = []
    # Record any request that leaves our own server: a public page must make none.
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", f"blob:{live_server.url}"))
            else None
        ),
    )
    page.outside_requests = outside
    yield page
    context.close()


@pytest.fixture
def poster_host(settings):
    """`manage.py object_posters` serves the pages itself, as SITE_URL's host (tips.test
    here)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "tips.test"]


def screenshot(page, name: str) -> Path:
    """test-results/NAME.png, the whole page as it is now (none with SCREENSHOTS=0)."""
    path = SCREENSHOTS / f"{name}.png"
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    return path


SERIOUS_IMPACTS = frozenset({"serious", "critical"})


def axe_violations(page, impacts: frozenset[str] | None = SERIOUS_IMPACTS) -> list[str]:
    """axe's findings of these impacts on the page as it is now (impacts=None: every
    finding, minor and moderate ones too)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if impacts is None or violation["impact"] in impacts
    ]
