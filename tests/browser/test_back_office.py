"""The whole path visitor → analyst → case owner in a real browser, with two-factor logins:
the analyst takes the next tip and forwards it, the case owner reads it and records an
outcome, an investigator who does not own the case cannot open it, and the audit log shows
every step."""

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from moderation.models import Forward, ForwardOutcome
from tests.browser.conftest import CHROMIUM_ARGS, axe_violations, screenshot  # noqa: F401
from tests.factories import received
from tips.models import TipStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-staff-password-42"


def with_authenticator(user: User) -> TOTPDevice:
    """The persona with a password to type and an authenticator app, as a real login needs."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(browser, live_server, username: str, device: TOTPDevice):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/backoffice/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return context, page


def test_a_tip_goes_from_the_visitor_through_the_analyst_to_the_case_owner(
    browser,
    live_server,
    public_object,
    investigator,
    case,
    analyst,
    outsider_investigator,
    administrator,
):
    tip = received(public_object, body="These bottles are sold at Kaufmarkt in Graz.", country="AT")
    ana_device = with_authenticator(analyst)
    ines_device = with_authenticator(investigator)
    olga_device = with_authenticator(outsider_investigator)

    # The analyst logs in with a code from the authenticator app and takes the next tip.
    context, page = log_in(browser, live_server, "ana", ana_device)
    page.goto("/backoffice/tips/tip/")
    page.get_by_role("button", name="Take the next tip").click()
    page.wait_for_url(f"**/backoffice/tips/tip/{tip.pk}/change/")
    assert "These bottles are sold at Kaufmarkt in Graz." in page.inner_text("main")
    screenshot(page, "backoffice-tip")

    # ...and forwards it to the case owners from the queue.
    page.goto("/backoffice/tips/tip/")
    page.check(f'input[name="_selected_action"][value="{tip.pk}"]')
    page.select_option('select[name="action"]', label="Forward…")
    page.get_by_role("button", name="Go").click()
    page.wait_for_url("**/backoffice/moderation/forward/create/**")
    page.get_by_label("Your summary for the investigator").fill("Strong lead: shop named, country.")
    screenshot(page, "backoffice-forward")
    page.get_by_role("button", name="Forward").click()
    page.wait_for_load_state()
    forward = Forward.objects.get(tip=tip, to=investigator)
    tip.refresh_from_db()
    assert tip.status == TipStatus.FORWARDED
    context.close()

    # The case owner logs in, finds it in the inbox, acknowledges it and records the outcome.
    context, page = log_in(browser, live_server, "ines", ines_device)
    page.goto("/backoffice/moderation/forward/")
    page.get_by_role("link", name=str(forward.tip_id)).first.click()
    page.wait_for_url(f"**/backoffice/moderation/forward/{forward.pk}/change/")
    assert "Strong lead: shop named, country." in page.content()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    page.locator("#id_outcome").select_option(ForwardOutcome.USEFUL)
    page.get_by_label("Note for the analyst").fill("Confirmed the shop; thank you.")
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_load_state()
    screenshot(page, "backoffice-inbox")
    forward.refresh_from_db()
    assert forward.acknowledged_at is not None and forward.outcome == ForwardOutcome.USEFUL
    context.close()

    # An investigator who does not own the case cannot open the forward or the tip.
    context, page = log_in(browser, live_server, "olga", olga_device)
    assert page.goto(f"/backoffice/moderation/forward/{forward.pk}/change/").status == 404
    assert page.goto(f"/backoffice/tips/tip/{tip.pk}/change/").status in (403, 404)
    context.close()

    # The audit log shows each step, to an administrator in the back office too.
    adam_device = with_authenticator(administrator)
    context, page = log_in(browser, live_server, "adam", adam_device)
    page.goto("/backoffice/audit/auditentry/?namespace=forward")
    log_page = page.content()
    assert "forward.acknowledged" in log_page and "forward.outcome_recorded" in log_page
    page.goto("/backoffice/audit/auditentry/?namespace=tip")
    assert "tip.forwarded" in page.content() and "tip.taken" in page.content()
    screenshot(page, "backoffice-audit-log")
    context.close()
    steps = list(AuditEntry.objects.order_by("id").values_list("action", "username"))
    for step in [
        ("auth.login_succeeded", "ana"),
        ("tip.taken", "ana"),
        ("tip.viewed", "ana"),
        ("tip.forwarded", "ana"),
        ("auth.login_succeeded", "ines"),
        ("forward.acknowledged", "ines"),
        ("forward.outcome_recorded", "ines"),
        ("auth.login_succeeded", "olga"),
    ]:
        assert step in steps, step
