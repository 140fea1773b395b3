"""Back-office forms for forwarding: the forward itself, its outcome, and how a recipient
wants to be told."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy

from moderation.models import ForwardOutcome, NotifyMode
from moderation.roles import ROLE_GROUPS
from traceobject.text import CleanCharField


class ForwardCreateForm(forms.Form):
    SUMMARY_MAX = 2000
    recipients = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Forward to"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The owners of the object's case are ticked for you."),
    )
    summary = CleanCharField(
        label=gettext_lazy("Your summary for the investigator"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        investigator = ROLE_GROUPS["investigator"]
        recipients = cast(forms.ModelMultipleChoiceField, self.fields["recipients"])
        recipients.queryset = (
            get_user_model()
            .objects.filter(is_active=True, is_staff=True)
            .filter(Q(groups__name=investigator) | Q(owned_cases__isnull=False))
            .distinct()
            .order_by("username")
        )


class ForwardOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=ForwardOutcome.choices)
    note = CleanCharField(
        label=gettext_lazy("Note for the analyst"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class NotifyPreferenceForm(forms.Form):
    notify = forms.ChoiceField(
        label=gettext_lazy("Tell me about forwarded tips with"),
        choices=NotifyMode.choices,
        widget=forms.RadioSelect,
    )
