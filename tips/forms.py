"""Public forms (a tip about an object, a report about something else, receipts), then the
analysts' forms on a tip in the back office (a question, a note, "duplicate of").

Every field has a length limit and a clear message; control and bidirectional-override
characters are removed; links are checked as http(s) URLs and never fetched.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.validators import URLValidator
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _
from django_altcha import AltchaField, get_challenge_expire_seconds, is_challenge_used
from django_altcha.conf import get_setting as altcha_setting
from django_countries import countries

from tips.crypto import receipt_normalise
from tips.models import Tip
from tips.services import TipContent
from traceobject.text import CleanCharField
from traceobject.windows import timeout_until, unix_now, window_of

MAX_LINKS = 5


class HoneypotField(forms.CharField):
    """Hidden from people (CSS and aria-hidden); bots that fill every field fill it too."""

    def __init__(self) -> None:
        super().__init__(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "tabindex": "-1", "class": "form-control"}
            ),
        )


class ProofOfWorkField(AltchaField):
    """django-altcha's field, checking a solution without using it up.

    django-altcha marks a solution used inside `clean` with a `get` then a `set`: two
    requests at once both pass, and a solution used up before the view refuses the request
    (a rate limit) would be lost to the visitor. Here `clean` only refuses a solution
    already used; the view uses it up with `PublicForm.proof_of_work_use`, in one atomic
    step, once it has decided to take the request.
    """

    def replay_attack_protection(self, payload: str) -> None:
        if is_challenge_used(proof_of_work_challenge(payload)):
            raise forms.ValidationError(self.error_messages["replay"], code="replay")


def proof_of_work_challenge(payload: str) -> str:
    try:
        return json.loads(base64.b64decode(payload).decode())["challenge"]
    except (ValueError, KeyError, TypeError):
        raise forms.ValidationError(
            _("The anti-spam check failed. Please tick it again."), code="invalid"
        ) from None


def solution_consume(payload: str) -> bool:
    """Use a verified solution up; False if it was used already (by another request too).

    One `add` (Redis SET NX, or the fallback's locked add) is the whole check, so two
    requests can never both win. The key is django-altcha's own (the challenge), so
    solutions it marked stay used across an upgrade.

    The key lives until the end of the fixed window (of the challenges' lifetime) that holds
    the latest moment this challenge can still be valid: long enough, and its TTL lands on a
    window boundary, so it tells nothing of when the tip came.
    """
    cache = caches[settings.ALTCHA_CACHE_ALIAS]
    add = getattr(cache, "add_once", cache.add)  # see FailoverRedisCache.add_once
    lifetime, now = get_challenge_expire_seconds(), unix_now()
    _window, end = window_of(lifetime, now + lifetime)
    return add(proof_of_work_challenge(payload), True, timeout_until(end, now))


def proof_of_work_field(*, factor: int = 1) -> ProofOfWorkField:
    """`factor`: how much harder than usual (the load on the shared budgets, see
    tips.ratelimits.proof_of_work_factor); the challenge is made when the form is shown."""
    return ProofOfWorkField(
        label=_("Anti-spam check"),
        maxnumber=settings.ALTCHA_MAX_NUMBER * factor,
        hidefooter=True,
        hidelogo=True,
        strings={
            "label": str(_("I am a person, not a program")),
            "verifying": str(_("Checking…")),
            "verified": str(_("Checked")),
            "waitAlert": str(_("Checking… please wait.")),
            "error": str(_("The check failed. Please try again.")),
            "expired": str(_("The check expired. Please try again.")),
        },
        error_messages={
            "required": _("Please tick the anti-spam check and wait until it says Checked."),
            "invalid": _("The anti-spam check failed. Please tick it again."),
            "replay": _("The anti-spam check was already used. Please tick it again."),
            "error": _("The anti-spam check failed. Please tick it again."),
        },
    )


def submission_token_new() -> str:
    return secrets.token_urlsafe(24)


class PublicForm(forms.Form):
    """A public form with a proof of work: after `is_valid()`, a view that takes the request
    must call `proof_of_work_use()` and go on only if it returns True."""

    website = HoneypotField()
    # A one-time token drawn when the form is shown: the same form sent twice makes one tip.
    submission = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form is out of date. Please send it again."),
            "invalid": _("This form is out of date. Please send it again."),
        },
    )

    def __init__(self, *args: Any, proof_of_work_factor: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["altcha"] = proof_of_work_field(factor=proof_of_work_factor)
        if not self.is_bound:
            self.initial.setdefault("submission", submission_token_new())

    def proof_of_work_use(self) -> bool:
        if not altcha_setting("ALTCHA_VERIFICATION_ENABLED"):
            return True
        if solution_consume(self.cleaned_data["altcha"]):
            return True
        self.add_error("altcha", self.fields["altcha"].error_messages["replay"])
        return False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if cleaned.get("website"):
            raise forms.ValidationError(_("Your message could not be sent."), code="honeypot")
        return cleaned


class TipForm(PublicForm):
    body = CleanCharField(
        label=_("What do you recognise?"),
        help_text=_("For example the brand, the shop, the place, or what the object is called."),
        min_length=10,
        max_length=5000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    country = forms.ChoiceField(label=_("Country (if you know it)"), required=False)
    where = CleanCharField(
        label=_("Where is it sold or seen?"),
        required=False,
        max_length=500,
        multiline=False,  # a place is one line, even in a box that wraps
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    links = CleanCharField(
        label=_("Links (optional)"),
        help_text=_("Up to 5 web addresses, one per line. We do not open them automatically."),
        required=False,
        max_length=MAX_LINKS * 501,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact = CleanCharField(
        label=_("How can we contact you? (optional)"),
        help_text=_("Only if you agree below. You can also stay anonymous and use your receipt."),
        required=False,
        max_length=300,
    )
    contact_consent = forms.BooleanField(
        label=_(
            "I agree that my contact details are stored, encrypted, and deleted after the case closes."
        ),
        required=False,
    )
    # On an object's form too: someone who recognises the room may know the child is there
    # now. It makes the tip urgent (the top of the queue, the alert) as it makes a report.
    danger_now = forms.BooleanField(
        label=_("A child is in danger now"),
        help_text=_("Tick this if you think a child is at risk right now."),
        required=False,
    )
    field_order = [
        "body",
        "country",
        "where",
        "links",
        "danger_now",
        "contact",
        "contact_consent",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Country names in the page's language (django-countries follows the active one).
        country = cast(forms.ChoiceField, self.fields["country"])
        country.choices = [("", _("I don't know")), *countries]

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data.get("links", "").splitlines()]
        links = [line for line in lines if line]
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(
                ngettext("Give at most %(n)d link.", "Give at most %(n)d links.", MAX_LINKS)
                % {"n": MAX_LINKS}
            )
        validate = URLValidator(schemes=["http", "https"])
        for link in links:
            if len(link) > 500:
                raise forms.ValidationError(_("Each link can be at most 500 characters."))
            try:
                validate(link)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(link)s” is not a web address starting with http:// or https://."),
                    params={"link": link[:80]},
                ) from None
        return links

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if cleaned.get("contact") and not cleaned.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _("Tick this box if you want us to keep your contact details, or leave them out."),
            )
        return cleaned

    def content(self) -> TipContent:
        data = self.cleaned_data
        return TipContent(
            body=data["body"],
            country=data.get("country", ""),
            where=data.get("where", ""),
            links=data.get("links", []),
            contact=data.get("contact", "") if data.get("contact_consent") else "",
        )


class ReportForm(TipForm):
    """A report not about one of the objects; "a child is in danger now" (asked first here)
    makes it urgent.

    It asks what a report needs (what, where, when), not where an object is sold."""

    where = CleanCharField(
        label=_("Where did it happen, or where is the child now?"),
        help_text=_("An address, a town, a website or an app: whatever you know."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    occurred = CleanCharField(
        label=_("When did it happen, or when did you see it?"),
        help_text=_("For example: now, yesterday evening, in March 2024."),
        required=False,
        max_length=200,
    )
    field_order = [
        "danger_now",
        "body",
        "where",
        "occurred",
        "country",
        "links",
        "contact",
        "contact_consent",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("What do you want to report?")
        self.fields["body"].help_text = _(
            "Describe what you saw or know, and who is involved if you know. Do not send images."
        )
        self.fields["country"].label = _("Country (if you know it)")

    def content(self) -> TipContent:
        content = super().content()
        return dataclasses.replace(content, occurred=self.cleaned_data.get("occurred", ""))


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        help_text=_("The 16 digits you were given when you sent your tip."),
        max_length=40,
        # Digits in groups read left to right on an Arabic page too ("1234 5678", not "5678 1234").
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "dir": "ltr"}),
    )

    def clean_receipt(self) -> str:
        receipt = receipt_normalise(self.cleaned_data["receipt"])
        if receipt is None:
            raise forms.ValidationError(
                _("A receipt is 16 digits, for example 1234 5678 9012 3456.")
            )
        return receipt


class FollowUpForm(ReceiptForm):
    body = CleanCharField(
        label=_("Add information"),
        min_length=2,
        max_length=5000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receipt"].widget = forms.HiddenInput()


# --- The analysts' forms (tips/admin.py) ----------------------------------------------------


class TipQuestionForm(forms.Form):
    body = CleanCharField(
        label=gettext_lazy("Question for the tipster"),
        help_text=gettext_lazy(
            "The tipster reads it when they check their receipt. Write nothing about the "
            "case that is not public."
        ),
        min_length=2,
        max_length=2000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The tip's page also has the note form, whose box is `body` too: ids stay unique.
        kwargs.setdefault("auto_id", "id_question_%s")
        super().__init__(*args, **kwargs)


class TipNoteForm(forms.Form):
    body = CleanCharField(
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("For the analysts only: the tipster never sees notes."),
        min_length=2,
        max_length=5000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class DuplicateOfForm(forms.Form):
    original = forms.IntegerField(
        label=gettext_lazy("Duplicate of tip number"),
        help_text=gettext_lazy("The tip joins that tip's group of duplicates."),
        min_value=1,
    )

    def clean_original(self) -> Tip:
        try:
            return Tip.objects.get(pk=self.cleaned_data["original"])
        except Tip.DoesNotExist:
            raise forms.ValidationError(gettext("There is no tip with this number.")) from None
