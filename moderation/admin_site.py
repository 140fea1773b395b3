"""The back office's admin site: a password and a second factor for every staff login.

Django's `admin.site` is an instance of this class (moderation.apps.StaffAdminConfig sets
`default_site`), so every ModelAdmin registered with `admin.site` is served by it. Staff without a verified OTP device are
treated as logged out; the login form asks for the code from their authenticator app or
one of their backup codes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.auth import (
    account_login_failed,
    account_login_succeeded,
    account_wait_seconds,
    remember_known_browser,
)


def device_for_token(user: Any, token: str) -> Any:
    """The one device a token is meant for: six digits come from the authenticator app,
    anything else is a backup code. Only that device counts the attempt (and is throttled
    by a wrong one), never the person's other device."""
    token = token.strip()
    if token.isdigit() and len(token) == 6:
        return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()
    backups = StaticDevice.objects.devices_for_user(user, confirmed=True).order_by("pk")
    return backups.filter(token_set__token=token).first() or backups.first()


class StaffLoginForm(OTPAdminAuthenticationForm):
    # One message for a wrong password and a wrong second factor: a different one would tell
    # someone guessing that the password was right.
    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s, password and code for a staff account. "
            "Note that the username and password may be case-sensitive."
        ),
    }

    def clean(self) -> Any:
        username = self.cleaned_data.get("username") or ""
        if seconds := account_wait_seconds(self.request, username):
            raise ValidationError(
                ngettext(
                    "Many failed logins for this account: from this browser, sign in again "
                    "in %(seconds)d second.",
                    "Many failed logins for this account: from this browser, sign in again "
                    "in %(seconds)d seconds.",
                    seconds,
                ),
                params={"seconds": seconds},
                code="account_wait",
            )
        try:
            return super().clean()
        except ValidationError:
            account_login_failed(self.request, username)
            raise

    def _chosen_device(self, user: Any) -> Any:
        # django-otp would make people pick a device from a list it shows only after a
        # first failed attempt; the shape of the token tells us which one they used.
        return super()._chosen_device(user) or device_for_token(
            user, self.cleaned_data.get("otp_token") or ""
        )

    def clean_otp(self, user: Any) -> None:
        try:
            super().clean_otp(user)
        except ValidationError:
            if self.cleaned_data.get("otp_token") and not self.cleaned_data.get("otp_challenge"):
                # A wrong second factor counts as a failed login, so django-axes locks out
                # someone guessing codes with a stolen password, and the audit log shows it.
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": user.get_username(), "stage": "second factor"},
                    request=self.request,
                )
            self._forget_password_was_right()
            raise self.get_invalid_login_error() from None

    def _forget_password_was_right(self) -> None:
        """Render the page exactly as for a wrong password.

        django-otp, once the password is right, shows a device list and a challenge button
        (both shown for `form.get_user`) and echoes the password back into the page.
        """
        self.user_cache = None
        self.fields["password"].widget.render_value = False


class StaffAdminSite(OTPAdminSite):
    login_form = StaffLoginForm
    site_header = settings.PORTAL_NAME + " back office"
    site_title = settings.PORTAL_NAME
    index_title = _("What waits for you")
    index_template = "admin/traceobject_index.html"  # each role's counts, then the apps

    def get_urls(self) -> list[URLPattern | URLResolver]:
        from moderation.pages.dashboard import (
            dashboard_view,  # reads tips: imported once apps are ready
        )

        return [
            path("dashboard/", self.admin_view(dashboard_view), name="dashboard"),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The staff home: what waits for each of the user's roles (moderation/home.py),
        above Django's list of apps."""
        # They read tips: imported once apps are ready.
        from moderation.home import home_saturated, home_sections

        context = {
            "home_sections": home_sections(request.user),
            "home_saturated": home_saturated(request.user),
            "saturated_days": settings.TIP_SATURATED_DAYS,
            **(extra_context or {}),
        }
        return super().index(request, context)

    def each_context(self, request: HttpRequest) -> dict:
        """Every back-office page's context, with the urgent report nobody has taken yet
        (for the banner in admin/base_site.html), for staff past both factors who may open
        it: never on the login page."""
        context = super().each_context(request)
        if self.has_permission(request) and request.user.has_perm("tips.view_tip"):
            from tips.urgent import urgent_waiting  # imported once apps are ready

            context["urgent_waiting"] = urgent_waiting()
        return context

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and response.status_code == 302
        ):
            # This browser may log in to this account without the delay of a guessing run.
            remember_known_browser(response, request.user.get_username())
            account_login_succeeded(request, request.user.get_username())
        return response
