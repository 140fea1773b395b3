"""Security headers that Django does not set itself; the rest are settings in settings.py."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if re.match(settings.FORM_REFERRER_PATHS, request.path):
            # Browsers send "Origin: null" on a form POST from a no-referrer page, which
            # Django's CSRF check must refuse; same-origin still tells no other site anything.
            response.headers["Referrer-Policy"] = "same-origin"
        # Nothing the portal serves is meant to be embedded or read by another origin, but
        # the embeddable card, which sets its own headers (objects/embed.py).
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class PublicLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the back office and health check always in English.

    Public pages take their language from the URL prefix; an unprefixed public URL (as on a
    poster) is redirected to the prefix the browser's Accept-Language asks for. No cookie is
    read that we ever set, and none is set: a shared link must not depend on one.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        if request.path_info.startswith(settings.UNTRANSLATED_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
