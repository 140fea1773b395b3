"""Site-wide pages that belong to no app: about, privacy, and the error pages."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
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
        },
    )


# As much of a visitor's text as the rate-limit page gives back: enough for any real tip.
GIVEN_BACK_CHARS = 5000


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, built to work while the database is down: no context processor, no
    session, no query. It gives back what the visitor wrote (never logged) and the emergency
    numbers, because a failed report may have been about a child in danger now."""
    context = {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_OPERATOR": settings.PORTAL_OPERATOR,
        "written": _posted_body(request),
        "emergency_contacts": [
            (label, number, _tel(number)) for label, number in settings.EMERGENCY_CONTACTS
        ],
    }
    # Rendered without the request, so no context processor (auth, messages) can query.
    html = loader.get_template("500.html").render(context)
    return HttpResponseServerError(html)


def _posted_body(request: HttpRequest) -> str:
    if request.method != "POST":
        return ""
    try:
        return request.POST.get("body", "")[:GIVEN_BACK_CHARS]
    except Exception:  # noqa: BLE001 - the request body itself may be what failed
        return ""


def _tel(number: str) -> str:
    """`tel:` wants digits and a leading +, not the spaces people write between groups."""
    return "tel:" + re.sub(r"(?!^\+)[^0-9]", "", number)
