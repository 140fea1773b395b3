"""Staff logins: a password and a second factor, lockout after repeated failures, idle
sessions ending, and every attempt in the audit log.

Personas: ines, an investigator with a password; her authenticator app (TOTP) or backup
codes are created per test. Logins go through the real back-office login form.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.admin import OTPAdminSite
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import _get_window, _split_rate

from audit.models import AuditEntry
from moderation.auth import _account_key
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
HOME = reverse("admin:index")
PASSWORD = "ines-password-123"  # tests.factories.staff_user's
HOME_NETWORK = "203.0.113.7"
OTHER_NETWORK = "198.51.100.9"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def log_in(client, username="ines", password=PASSWORD, token="", address=HOME_NETWORK):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "otp_token": token, "next": HOME},
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=BROWSER,
    )


def reaches_back_office(client) -> bool:
    return client.get(HOME).status_code == 200


def backup_codes(user, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return device


def current_code(device: TOTPDevice) -> str:
    """The authenticator's code at time.time(), the moment the device checks it against
    (django_otp's own totp() reads a clock of its own, which the clock fixture does not move)."""
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code.time = time.time()
    return f"{code.token():06d}"


def test_the_back_office_asks_for_a_second_factor():
    assert isinstance(admin.site, OTPAdminSite)
    assert 'name="otp_token"' in Client().get(LOGIN).content.decode()


def test_staff_without_a_verified_device_are_sent_to_the_login(client, investigator):
    client.force_login(investigator)  # a password login alone

    response = client.get(HOME)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_login_refuses_staff_who_have_no_device(client, investigator):
    assert log_in(client).status_code == 200
    assert log_in(client, token="123456").status_code == 200
    assert not reaches_back_office(client)


def test_a_wrong_authenticator_code_is_refused(client, investigator):
    app = TOTPDevice.objects.create(user=investigator, name="app", confirmed=True)
    wrong = f"{(int(current_code(app)) + 1) % 1_000_000:06d}"

    response = log_in(client, token=wrong)

    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not reaches_back_office(client)


def test_the_current_authenticator_code_logs_in(client, investigator):
    app = TOTPDevice.objects.create(user=investigator, name="app", confirmed=True)

    response = log_in(client, token=current_code(app))

    assert response.status_code == 302 and response["Location"] == HOME
    assert reaches_back_office(client)


def test_a_backup_code_works_once_only(client, investigator):
    backup_codes(investigator, "k2wl3xgz", "wsya4jq2")

    assert log_in(client, token="k2wl3xgz").status_code == 302
    assert reaches_back_office(client)
    client.logout()

    assert log_in(client, token="k2wl3xgz").status_code == 200
    assert not reaches_back_office(client)
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["wsya4jq2"]


def test_the_test_helper_logs_in_with_a_verified_device(client, investigator):
    assert reaches_back_office(staff_login(client, investigator))


# --- Lockout (django-axes) ---------------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_on_that_network(client, investigator):
    backup_codes(investigator, "k2wl3xgz")
    for attempt in range(4):
        assert log_in(client, password=f"guess-{attempt}").status_code == 200
    assert log_in(client, password="guess-4").status_code == 429

    # Now even the right password and a good code are refused from that network...
    assert log_in(client, token="k2wl3xgz").status_code == 429
    assert not reaches_back_office(client)
    # ...but not from another one.
    elsewhere = Client()
    assert log_in(elsewhere, token="k2wl3xgz", address=OTHER_NETWORK).status_code == 302
    assert reaches_back_office(elsewhere)


def test_a_lockout_holds_for_thirty_minutes(client, investigator):
    backup_codes(investigator, "k2wl3xgz")
    for attempt in range(5):
        log_in(client, password=f"guess-{attempt}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    assert log_in(client, token="k2wl3xgz").status_code == 302


def test_wrong_second_factors_count_towards_the_lockout(client, investigator):
    backup_codes(investigator, "k2wl3xgz")
    for attempt in range(4):
        assert log_in(client, token=f"wrong{attempt:03d}").status_code == 200
    assert log_in(client, token="wrong004").status_code == 429
    assert log_in(client, token="k2wl3xgz").status_code == 429


def test_the_lockout_stores_no_address_and_no_user_agent(client, investigator):
    for attempt in range(5):
        log_in(client, password=f"guess-{attempt}", token="123456")

    attempt = AccessAttempt.objects.get()
    stored = " ".join(
        str(value) for value in AccessAttempt.objects.values_list().get() if value is not None
    )
    assert HOME_NETWORK not in stored and "203.0.113" not in stored
    assert attempt.ip_address.startswith("fd")  # the HMAC of the network, not an address
    assert attempt.user_agent == "" and "Firefox" not in stored
    assert "guess-" not in attempt.post_data and "123456" not in attempt.post_data
    assert not AccessLog.objects.exists()


# --- Sessions ----------------------------------------------------------------------------


def test_every_request_pushes_the_session_end_thirty_minutes_ahead(client, investigator):
    staff_login(client, investigator)
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))

    assert reaches_back_office(client)

    expires = Session.objects.get().expire_date
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)


def test_a_session_idle_for_thirty_minutes_has_ended(client, investigator):
    staff_login(client, investigator)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(HOME)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- Audit -------------------------------------------------------------------------------


def test_a_successful_login_is_audited(client, investigator):
    backup_codes(investigator, "k2wl3xgz")
    log_in(client, token="k2wl3xgz")

    entry = AuditEntry.objects.get(action="auth.login_succeeded")
    assert entry.user == investigator and entry.username == "ines"


def test_a_failed_login_is_audited_with_the_username_and_never_the_password(client, investigator):
    log_in(client, password="my-secret-guess")

    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.data == {"username": "ines"} and entry.user is None
    assert "my-secret-guess" not in str(entry.data)


def test_a_wrong_second_factor_is_audited_as_a_failed_login(client, investigator):
    backup_codes(investigator, "k2wl3xgz")
    log_in(client, token="wrong000")

    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.data == {"username": "ines", "stage": "second factor"}
    assert not AuditEntry.objects.filter(action="auth.login_succeeded").exists()


def test_a_lockout_is_audited(client, investigator):
    for attempt in range(5):
        log_in(client, password=f"guess-{attempt}")

    assert AuditEntry.objects.filter(action="auth.locked_out", data__username="ines").exists()
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 5


# --- What a failed login tells, and where a login goes (issue 12, finding 2) -------------


def login_page(response) -> str:
    """The page as a person sees it; only the per-request CSRF token differs."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.parametrize("token", ["123456", "wrongcode", ""])
def test_a_right_password_with_a_wrong_code_looks_like_a_wrong_password(
    client, investigator, token
):
    TOTPDevice.objects.create(user=investigator, name="app", confirmed=True)
    backup_codes(investigator, "k2wl3xgz")

    wrong_password = log_in(Client(), password="not-her-password", token=token)
    wrong_code = log_in(Client(), token=token)

    assert wrong_code.status_code == wrong_password.status_code == 200
    assert "Please enter the correct username, password and code" in login_page(wrong_code)
    assert "Invalid token" not in login_page(wrong_code)
    assert PASSWORD not in login_page(wrong_code)
    assert login_page(wrong_code) == login_page(wrong_password)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", None])
def test_a_login_with_an_unsafe_or_no_next_lands_on_the_back_office(client, investigator, next_url):
    backup_codes(investigator, "k2wl3xgz")
    data = {"username": "ines", "password": PASSWORD, "otp_token": "k2wl3xgz"}
    if next_url is not None:
        data["next"] = next_url

    response = client.post(LOGIN, data, REMOTE_ADDR=HOME_NETWORK)

    assert response.status_code == 302 and response["Location"] == HOME
    assert reaches_back_office(client)


# --- Failures per account, across networks ------------------------------------------------


def guess_from_many_networks(count: int = 20) -> None:
    for number in range(count):
        log_in(Client(), password=f"guess-{number}", address=f"192.0.2.{number + 1}")


WAIT = re.compile(
    r"Many failed logins for this account: from this browser, sign in again in (\d+) seconds?\."
)


def wait_asked(response) -> int | None:
    found = WAIT.search(response.content.decode())
    return int(found.group(1)) if found else None


@pytest.fixture
def clock(monkeypatch):
    """time.time(), moved on by hand (the account budget and the wait both read it), from
    the first second of a window of the account's budget: the budget counts in fixed
    windows that end at a moment of their own (django-ratelimit), and one that ended in the
    middle of a test would forget its failures."""
    now = {"t": time.time()}
    monkeypatch.setattr(time, "time", lambda: now["t"])
    _, period = _split_rate(settings.STAFF_LOGIN_ACCOUNT_LIMIT)
    now["t"] = _get_window(_account_key("ines"), period) + 1
    return now


def test_21_failures_from_21_networks_delay_a_new_browser_but_never_lock_it_out(
    client, investigator, clock
):
    device = TOTPDevice.objects.create(user=investigator, name="phone", confirmed=True)
    guess_from_many_networks(21)

    first = log_in(client, token=current_code(device), address=OTHER_NETWORK)
    clock["t"] += 10
    too_soon = log_in(client, token=current_code(device), address=OTHER_NETWORK)

    assert first.status_code == too_soon.status_code == 200
    assert wait_asked(first) == 30 and wait_asked(too_soon) == 20
    assert not reaches_back_office(client)
    clock["t"] += 20
    assert log_in(client, token=current_code(device), address=OTHER_NETWORK).status_code == 302
    assert reaches_back_office(client)


def test_a_refused_attempt_spends_no_backup_code(client, investigator, clock):
    backup_codes(investigator, "k2wl3xgz")
    guess_from_many_networks()

    response = log_in(client, token="k2wl3xgz", address=OTHER_NETWORK)

    assert wait_asked(response) == 30
    assert StaticToken.objects.filter(token="k2wl3xgz").exists()  # not spent on a refusal
    clock["t"] += 30
    assert log_in(client, token="k2wl3xgz", address=OTHER_NETWORK).status_code == 302


def test_the_delay_grows_with_the_guesses_and_each_guess_waits_again(client, investigator, clock):
    backup_codes(investigator, "k2wl3xgz")
    guess_from_many_networks(20)
    # 20 more networks over the budget: each is made to wait, then guesses once more.
    guessers = [(Client(), f"192.0.2.{100 + number}") for number in range(20)]
    assert {wait_asked(log_in(c, password="x", address=a)) for c, a in guessers} == {30}
    clock["t"] += 30
    assert {wait_asked(log_in(c, password="y", address=a)) for c, a in guessers} == {None}

    assert wait_asked(log_in(client, password="wrong", address=OTHER_NETWORK)) == 60
    clock["t"] += 60
    checked = log_in(client, password="still-wrong", address=OTHER_NETWORK)  # checked: wrong
    assert wait_asked(checked) is None
    assert wait_asked(log_in(client, token="k2wl3xgz", address=OTHER_NETWORK)) == 60
    clock["t"] += 60
    assert log_in(client, token="k2wl3xgz", address=OTHER_NETWORK).status_code == 302


def test_the_delay_ends_with_the_accounts_window(client, investigator, clock):
    backup_codes(investigator, "k2wl3xgz")
    guess_from_many_networks()
    clock["t"] += 15 * 60 + 1

    assert log_in(client, token="k2wl3xgz", address=OTHER_NETWORK).status_code == 302


def test_a_browser_that_logged_in_before_is_not_locked_out(client, investigator):
    backup_codes(investigator, "k2wl3xgz", "wsya4jq2")
    assert log_in(client, token="k2wl3xgz").status_code == 302
    client.post(reverse("admin:logout"))  # as the person does (client.logout() drops cookies)
    assert not reaches_back_office(client)
    guess_from_many_networks(40)

    assert log_in(client, token="wsya4jq2").status_code == 302
    assert reaches_back_office(client)
