"""Site-wide pages that belong to no app: about, privacy, and the error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_safe

from traceobject.context_processors import portal_operator


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


# As much of each field as is given back: enough for any real tip.
GIVEN_BACK_CHARS = 5000
# The text fields of the public forms (tip, report, follow-up), given back in this order.
WRITTEN_FIELDS = ("body", "where", "occurred", "links")


def written_text(request: HttpRequest) -> str:
    """What the visitor typed into a public form, to give back when it could not be stored
    (the 429 page, the 500 page). Never logged."""
    if request.method != "POST":
        return ""
    try:
        parts = [request.POST.get(name, "").strip()[:GIVEN_BACK_CHARS] for name in WRITTEN_FIELDS]
    except Exception:  # noqa: BLE001 - the request body itself may be what failed
        return ""
    return "\n\n".join(part for part in parts if part)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, built to work while the database is down: no context processor, no
    session, no query. It gives back what the visitor wrote (never logged) and the emergency
    numbers, because a failed report may have been about a child in danger now."""
    context = {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_OPERATOR": portal_operator(),
        "written": written_text(request),
        "emergency_contacts": settings.EMERGENCY_CONTACTS,
    }
    # Rendered without the request, so no context processor (auth, messages) can query.
    html = loader.get_template("500.html").render(context)
    return HttpResponseServerError(html)
