"""The shipped front door in a browser: Debian's nginx with deploy/nginx.conf (addresses
only changed, tests/serving.py) over TLS, in front of gunicorn with its config and
production's TLS settings (SECURE_SSL_REDIRECT on, TLS terminated at the proxy). A visitor
sends a tip and an urgent report; the ALTCHA widget solves the proof of work itself.

Static files that lose X-Forwarded-Proto on the way loop in redirects, a Host without the
port fails CSRF's origin check (nginx listens on a random port here), and a directive this
nginx refuses stops it from starting: each of these fails this test."""

import os
import re
from pathlib import Path

import pytest
from django.db import connection

from tests import serving
from tests.browser.conftest import screenshot
from tests.conftest import service_missing
from tips.models import Tip
from tips.services import tip_by_receipt

pytestmark = [pytest.mark.browser, pytest.mark.services]


@pytest.fixture
def front_door(transactional_db, public_object, tmp_path):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (gunicorn writes the test database): set DATABASE_URL")
    if not Path(serving.NGINX).exists():
        service_missing("needs nginx (apt-get install nginx)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "true",
        "TLS_TERMINATED_AT_PROXY": "true",
        "TRUSTED_PROXIES": "127.0.0.1",
        "ALTCHA_MAX_NUMBER": "20000",  # quick in a headless browser, the same code path
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
    }
    with (
        serving.gunicorn(env, tmp_path / "gunicorn.log") as upstream,
        serving.nginx(upstream=upstream, folder=tmp_path) as port,
    ):
        yield f"https://127.0.0.1:{port}"


@pytest.fixture
def visitor(browser, front_door):
    context = browser.new_context(
        base_url=front_door, ignore_https_errors=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.bad_responses = []
    page.on(
        "response",
        lambda response: (
            page.bad_responses.append(f"{response.status} {response.url}")
            if response.status >= 300 and "/static/" in response.url
            else None
        ),
    )
    yield page
    context.close()


def solve_and_send(page, button: str) -> str:
    page.get_by_text("I am a person, not a program").click()
    page.get_by_text("Checked").wait_for(timeout=60_000)
    page.get_by_role("button", name=button).click()
    return page.locator("#receipt-code").inner_text(timeout=30_000)


def test_a_visitor_sends_a_tip_and_an_urgent_report_through_the_shipped_nginx(
    visitor, public_object
):
    visitor.goto(f"/en/objects/{public_object.code}/tip/")
    assert visitor.evaluate("() => customElements.get('altcha-widget') !== undefined")
    visitor.get_by_label("What do you recognise?").fill("Sold at the Blue Lake market.")
    receipt = solve_and_send(visitor, "Send the tip")
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    screenshot(visitor, "nginx-tip-receipt")

    visitor.goto("/en/")
    visitor.get_by_role("link", name="Report something else").first.click()
    visitor.get_by_role("checkbox", name="A child is in danger now").check()
    visitor.get_by_label("What do you want to report?").fill("A child is left alone at night.")
    urgent_receipt = solve_and_send(visitor, "Send the report")
    assert visitor.locator("#danger").is_visible()  # the guidance: call the emergency number
    screenshot(visitor, "nginx-urgent-receipt")

    tip = tip_by_receipt(receipt.replace(" ", ""))
    assert tip.traced_object == public_object and tip.body == "Sold at the Blue Lake market."
    urgent = tip_by_receipt(urgent_receipt.replace(" ", ""))
    assert urgent.urgent and urgent.traced_object is None
    assert urgent.body == "A child is left alone at night."
    assert Tip.objects.count() == 2
    assert visitor.bad_responses == []
