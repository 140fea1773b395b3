"""A crash on a public page still gives the visitor back what they wrote."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tips.views import written_text

logger = logging.getLogger(__name__)
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


class GiveBackOnErrorMiddleware:
    """On an exception in a public view, the 500 page with the visitor's text and the
    emergency numbers. Django's own handler500 still answers everything else (and the back
    office, and DEBUG's traceback page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, CLIENT_ERRORS) or settings.DEBUG:
            return None  # a 404, 403 or 400: Django answers it with its own page
        if request.path_info.startswith(settings.UNTRANSLATED_PATHS):
            return None
        # Returning a response stops Django from logging the traceback: log it here, without
        # the request (its body is the visitor's text, which never goes to a log).
        logger.error("Server error on a public page", exc_info=exception)
        try:
            return render(request, "500.html", {"written": written_text(request)}, status=500)
        except Exception:  # the page itself failed: let Django's plain 500 handler answer
            logger.exception("The 500 page could not be rendered")
            return None
