"""My notification preference: a mail per forward, or a daily digest."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from moderation.forms import NotifyPreferenceForm
from moderation.forwarding import check_can_set_preference, notify_mode, staff_preference_set
from moderation.pages.common import ForwardAdmin, render_page
from traceobject.backoffice import staff_user


def preference_view(request: HttpRequest, *, model_admin: ForwardAdmin) -> HttpResponse:
    user = staff_user(request)
    check_can_set_preference(by=user)
    if request.method == "POST":
        form = NotifyPreferenceForm(request.POST)
        if form.is_valid():
            staff_preference_set(user=user, notify=form.cleaned_data["notify"])
            messages.info(request, _("Your notification preference is saved."))
            return HttpResponseRedirect(reverse("admin:moderation_forward_changelist"))
    else:
        form = NotifyPreferenceForm(initial={"notify": notify_mode(user=user)})
    return render_page(
        model_admin,
        request,
        "admin/moderation/forward/preference.html",
        title=_("My notification preference"),
        form=form,
    )
