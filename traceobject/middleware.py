"""Security headers that Django does not set itself; the rest are settings in settings.py."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if re.match(settings.FORM_REFERRER_PATHS, request.path):
            # Browsers send "Origin: null" on a form POST from a no-referrer page, which
            # Django's CSRF check must refuse; same-origin still tells no other site anything.
            response.headers["Referrer-Policy"] = "same-origin"
        # Nothing the portal serves is meant to be embedded or read by another origin.
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
