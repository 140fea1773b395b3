"""Site-wide pages that belong to no app: about, privacy, and the error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/about.html")


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    # The schedule is read from the settings the retention job uses, so the page cannot
    # promise anything the job does not do.
    return render(
        request,
        "pages/privacy.html",
        {
            "contact_days": settings.TIP_CONTACT_RETENTION_DAYS,
            "rejected_days": settings.TIP_REJECTED_RETENTION_DAYS,
            "receipt_days": settings.TIP_RECEIPT_RETENTION_DAYS,
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
            "session_cookie_name": settings.SESSION_COOKIE_NAME,
            "receipt_cookie_name": settings.RECEIPT_COOKIE_NAME,
        },
    )
