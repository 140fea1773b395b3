"""Partner portals in the back office: administrators add one by origin and fingerprint (the
form calls partner_add, which reads its signed well-known document), watch its polling and cut
it off; refusals are listed read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from network import keys
from network.models import Partner, Refusal
from network.refused import Refused
from network.services import PartnerError, partner_add, partner_remove


class PartnerAddForm(forms.ModelForm):
    origin = forms.CharField(
        label=gettext_lazy("Origin"), help_text=gettext_lazy("https://tips.example.org")
    )
    fingerprint = forms.CharField(
        label=gettext_lazy("Fingerprint of its signing key"),
        help_text=gettext_lazy(
            "64 hexadecimal digits, read out of band (manage.py network_keys --show on the partner)"
        ),
    )
    added_by: Any = None  # the administrator, set by PartnerAdmin.get_form

    class Meta:
        model = Partner
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # the partner's own name by default

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.instance = partner_add(
                origin=data["origin"],
                fingerprint=data["fingerprint"],
                name=data.get("name") or "",
                by=self.added_by,
            )
        except PartnerError as error:
            raise ValidationError(str(error)) from None
        except Refused as refused:
            raise ValidationError(
                f"The partner's well-known document was refused: {refused.reason}"
            ) from None
        return data


@admin.register(Partner)
class PartnerAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["name", "origin", "state", "last_poll_at", "failures", "last_error"]
    list_filter = ["active"]
    search_fields = ["name", "origin"]
    actions = ["remove"]
    readonly_fields = (
        "name",
        "origin",
        "fingerprint_shown",
        "state",
        "signing_keys",
        "encryption_key",
        "feed_url",
        "inbox_url",
        "added_at",
        "removed_at",
        "last_poll_at",
        "next_poll_at",
        "failures",
        "last_error",
    )

    @admin.display(description=gettext_lazy("state"))
    def state(self, obj: Partner) -> str:
        return "active" if obj.active else "removed"

    @admin.display(description=gettext_lazy("fingerprint"))
    def fingerprint_shown(self, obj: Partner) -> str:
        return keys.fingerprint_grouped(obj.fingerprint)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["name", "origin", "fingerprint"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            return type("PartnerAddForm", (PartnerAddForm,), {"added_by": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        # Added (and audited) by partner_add in the form; nothing is changed here.
        return None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # removed partners stay listed: their refusals and objects name them

    @admin.action(description=gettext_lazy("Remove (cut off at once)"), permissions=["change"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        removed = sum(partner_remove(partner=partner, by=request.user) for partner in queryset)
        self.message_user(request, f"{removed} partner(s) removed.", messages.SUCCESS)


@admin.register(Refusal)
class RefusalAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["at", "reason", "partner", "origin"]
    list_filter = ["reason"]
    list_select_related = ["partner"]
    fields = readonly_fields = ("at", "reason", "partner", "origin")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
