"""The back-office dashboard: tips per day, backlog by status and age, time to first
triage, and what forwarded tips were worth per case (figures: moderation/dashboard.py)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from moderation.dashboard import (
    FIGURES_KEY,
    FIGURES_SECONDS,
    FORWARDS_WINDOW_DAYS,
    TRIAGE_WINDOW_DAYS,
    dashboard_figures,
)
from traceobject.backoffice import backoffice_render


@permission_required("tips.view_tip", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    figures = cache.get_or_set(FIGURES_KEY, dashboard_figures, FIGURES_SECONDS)
    context = {
        "title": _("Dashboard"),
        "triage_window_days": TRIAGE_WINDOW_DAYS,
        "forwards_window_days": FORWARDS_WINDOW_DAYS,
        **(figures or dashboard_figures()),
    }
    return backoffice_render(request, admin.site, "admin/moderation/dashboard.html", context)
