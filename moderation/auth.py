"""Staff logins: the audit trail of every attempt, and django-axes kept free of personal data.

Axes counts failures per username and network (settings: "Staff authentication"). It would
store the client's IP address and user agent; here it gets neither: the address is replaced
by the HMAC of its network that the rate limits use, and the user agent and Accept header
are blanked before the handler records anything.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from audit.services import log_action
from traceobject.clients import network_key


def client_pseudonym(request: HttpRequest) -> str:
    """What axes stores and compares as the client's "IP address".

    The HMAC of the client's network (never the address), written as an IPv6 address in the
    private fd00::/8 range because axes keeps it in an address column (inet on PostgreSQL).
    """
    return str(ipaddress.IPv6Address(int("fd" + network_key(request)[:30], 16)))


def _forget_client_details(request: HttpRequest | None) -> None:
    if request is not None:
        # Attributes axes adds to the request itself, so HttpRequest's stubs do not know them.
        request.axes_user_agent = ""  # type: ignore[attr-defined]  # reason: axes' own attribute
        request.axes_http_accept = ""  # type: ignore[attr-defined]  # reason: axes' own attribute


class PrivateAxesHandler(AxesDatabaseHandler):
    """axes' database handler, minus the user agent and Accept header of every attempt."""

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> Any:
        _forget_client_details(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> Any:
        _forget_client_details(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> Any:
        _forget_client_details(request)
        return super().user_logged_out(sender, request, user, **kwargs)

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        _forget_client_details(request)
        return super().get_failures(request, credentials)


# --- Failures per account, across networks -------------------------------------------------
# Axes locks a username on one network. This budget (STAFF_LOGIN_ACCOUNT_LIMIT) slows a
# guessing run spread over many networks: over it, a login to the account from a browser
# that never logged in to it is checked only after a delay, per network, that grows with
# the failures (STAFF_LOGIN_DELAY_SECONDS, doubling each further budget's worth, at most
# STAFF_LOGIN_DELAY_MAX_SECONDS); each checked attempt arms the delay again. A delay, never
# a lock: the person with the password and a second factor gets in once it is over, and a
# browser that has logged in to the account before waits not at all.

KNOWN_BROWSER_COOKIE = "staff_known"
KNOWN_BROWSER_SALT = "moderation.auth.known-browser"
KNOWN_BROWSER_DAYS = 90
WAIT_KEY = "staff-login-wait:{account}:{network}"
WAIT_KEPT_SECONDS = 3600


def _account_key(username: str) -> str:
    # A keyed hash: the cache never holds a username, which could itself be a guess.
    secret = hmac.new(settings.SECRET_KEY.encode(), b"traceobject-account", "sha256").digest()
    return hmac.new(secret, username.casefold().encode(), hashlib.sha256).hexdigest()[:32]


def _account_usage(request: HttpRequest, username: str, *, increment: bool) -> dict | None:
    key = _account_key(username)
    return get_usage(
        request,
        group="staff-login-account",
        key=lambda group, request: key,
        rate=settings.STAFF_LOGIN_ACCOUNT_LIMIT,
        increment=increment,
    )


def _delay(usage: dict | None) -> int:
    """Seconds between checked logins from one network, 0 while under the budget."""
    if not usage or usage["count"] < usage["limit"]:
        return 0
    doublings = (usage["count"] - usage["limit"]) // max(1, usage["limit"])
    return min(
        settings.STAFF_LOGIN_DELAY_MAX_SECONDS,
        settings.STAFF_LOGIN_DELAY_SECONDS * 2 ** min(doublings, 16),
    )


def _wait_key(request: HttpRequest, username: str) -> str:
    return WAIT_KEY.format(account=_account_key(username), network=network_key(request))


def _wait_arm(request: HttpRequest, username: str, delay: int) -> None:
    # Kept past the delay, so a network that waited may try once, then waits again.
    caches["ratelimit"].set(_wait_key(request, username), time.time(), delay + WAIT_KEPT_SECONDS)


def account_wait_seconds(request: HttpRequest, username: str) -> int:
    """Seconds before this login to `username` is checked; 0: check it now.

    The first attempt over the budget from a network starts its wait (and is not checked,
    so no second factor is spent on it).
    """
    if _is_known_browser(request, username):
        return 0
    delay = _delay(_account_usage(request, username, increment=False))
    if not delay:
        return 0
    started = caches["ratelimit"].get(_wait_key(request, username))
    if started is None:
        _wait_arm(request, username, delay)
        return delay
    return max(0, math.ceil(started + delay - time.time()))


def account_login_failed(request: HttpRequest, username: str) -> None:
    usage = _account_usage(request, username, increment=True)
    if delay := _delay(usage):
        _wait_arm(request, username, delay)  # the next try from here waits again


def account_login_succeeded(request: HttpRequest, username: str) -> None:
    caches["ratelimit"].delete(_wait_key(request, username))


def _is_known_browser(request: HttpRequest, username: str) -> bool:
    value = request.get_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        default=None,
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_DAYS * 86400,
    )
    return value is not None and hmac.compare_digest(value, _account_key(username))


def remember_known_browser(response: HttpResponse, username: str) -> None:
    response.set_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        _account_key(username),
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


# --- Audit: signal receivers, connected in moderation/apps.py --------------------------------


def audit_login_succeeded(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    log_action("auth.login_succeeded", user=user)


def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; only the name is recorded.
    data = {"username": str(credentials.get("username", ""))[:150]}
    if credentials.get("stage"):
        data["stage"] = credentials["stage"]
    log_action("auth.login_failed", data=data)


def audit_locked_out(
    sender: Any, request: Any = None, username: str | None = None, **kwargs: Any
) -> None:
    log_action("auth.locked_out", data={"username": str(username or "")[:150]})
