"""Staff logins: the audit trail of every attempt, and django-axes kept free of personal data.

Axes counts failures per username and network (settings: "Staff authentication"). It would
store the client's IP address and user agent; here it gets neither: the address is replaced
by the HMAC of its network that the rate limits use, and the user agent and Accept header
are blanked before the handler records anything.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.http import HttpRequest

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

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        _forget_client_details(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        _forget_client_details(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        _forget_client_details(request)
        return super().user_logged_out(sender, request, user, **kwargs)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        _forget_client_details(request)
        return super().get_failures(request, credentials)


# --- Audit: signal receivers, connected in moderation/apps.py --------------------------------


def audit_login_succeeded(sender, request, user, **kwargs) -> None:
    log_action("auth.login_succeeded", user=user)


def audit_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the name is recorded.
    data = {"username": str(credentials.get("username", ""))[:150]}
    if credentials.get("stage"):
        data["stage"] = credentials["stage"]
    log_action("auth.login_failed", data=data)


def audit_locked_out(sender, request=None, username=None, **kwargs) -> None:
    log_action("auth.locked_out", data={"username": str(username or "")[:150]})
