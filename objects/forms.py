"""Back-office forms for objects: the upload, and the forms behind each lifecycle action.

The upload takes a plain file, never an ImageField: Django would decode an untrusted image
in the web process to validate it. Here we only check what is free to check (present, not
empty, under the size cap); the intake task does the real validation in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from objects.intake import intake_limits
from objects.models import TRANSLATED_FIELDS, Case, Outcome, TracedObject
from objects.services import (
    TRANSLATION_LIMITS,
    ApprovalChecklist,
    ObjectDetails,
    translations_clean,
)
from traceobject.text import CleanCharField

UPLOAD_FIELDS = ["title", "category", "questions", "region_hint", "alt_text", "case"]
# What staff type that the public reads: cleaned as a tipster's text is, so a direction
# override cannot make a published title or question read differently from what it says.
OBJECT_TEXT_FIELDS = ["title", "questions", "region_hint", "alt_text"]
_TRANSLATED_LABELS = {
    "title": _("title"),
    "questions": _("questions for the public"),
    "region_hint": _("region hint"),
    "alt_text": _("alt text"),
}


def translation_field_names(code: str) -> list[str]:
    return [f"{name}_{code}" for name in TRANSLATED_FIELDS]


def translation_languages() -> list[tuple[str, str]]:
    return [(c, n) for c, n in settings.LANGUAGES if c != settings.LANGUAGE_CODE]


def _translation_fields() -> dict[str, forms.Field]:
    """title_fr, questions_fr, … for every other language: optional, English shows instead."""
    fields: dict[str, forms.Field] = {}
    for code, name in translation_languages():
        for field_name, limit in TRANSLATION_LIMITS.items():
            widget = forms.Textarea(attrs={"rows": 3}) if field_name == "questions" else None
            fields[f"{field_name}_{code}"] = CleanCharField(
                label=f"{_TRANSLATED_LABELS[field_name]} ({name})",
                required=False,
                max_length=limit,
                widget=widget,
            )
    return fields


# The mixin is only ever combined with a ModelForm; telling the type checker so.
if TYPE_CHECKING:
    _FormBase = forms.ModelForm
else:
    _FormBase = object


class TranslatedTextsMixin(_FormBase):
    """Fills the per-language fields from the object and gathers them back into one dict."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        stored = (instance.translations if instance is not None else None) or {}
        for code, _name in translation_languages():
            for field_name in TRANSLATED_FIELDS:
                self.initial.setdefault(
                    f"{field_name}_{code}", stored.get(code, {}).get(field_name, "")
                )

    def translations(self) -> dict[str, dict[str, str]]:
        return translations_clean(
            {
                code: {
                    name: self.cleaned_data.get(f"{name}_{code}", "") for name in TRANSLATED_FIELDS
                }
                for code, _name in translation_languages()
            }
        )

    def translations_changed(self) -> bool:
        names = {
            n for code, _name in translation_languages() for n in translation_field_names(code)
        }
        return bool(names & set(self.changed_data))


class _ObjectTextBase(forms.ModelForm):
    """The object's text as edited in the back office (the admin picks the fields)."""

    class Meta:
        model = TracedObject
        fields = OBJECT_TEXT_FIELDS
        field_classes = dict.fromkeys(OBJECT_TEXT_FIELDS, CleanCharField)


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["reference", "title", "owners"]
        field_classes = {"reference": CleanCharField, "title": CleanCharField}


class _ObjectUploadForm(TranslatedTextsMixin, _ObjectTextBase):
    image = forms.FileField(
        label=_("image"),
        help_text=_(
            "A JPEG, PNG or WebP crop, at most %(mb)s MB. It is checked, stripped of all "
            "metadata and re-encoded before anyone sees it."
        )
        % {"mb": settings.OBJECT_MAX_UPLOAD_MB},
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={
            "required": _("Choose the image file to upload."),
            "empty": _("The file is empty: choose the image file again."),
        },
    )

    class Meta(_ObjectTextBase.Meta):
        fields = UPLOAD_FIELDS

    def clean_image(self) -> Any:
        image = self.cleaned_data["image"]
        if image.size > intake_limits().max_bytes:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)s MB."),
                params={
                    "size": image.size / (1024 * 1024),
                    "limit": settings.OBJECT_MAX_UPLOAD_MB,
                },
                code="too_large",
            )
        return image

    def details(self) -> ObjectDetails:
        data = self.cleaned_data
        return ObjectDetails(
            title=data["title"],
            category=data["category"],
            questions=data["questions"],
            alt_text=data["alt_text"],
            region_hint=data["region_hint"],
            translations=self.translations(),
        )


# Declared on the class (not in __init__), so the admin's form factory accepts the names.
ObjectUploadForm = type("ObjectUploadForm", (_ObjectUploadForm,), _translation_fields())
ObjectTextForm = type(
    "ObjectTextForm", (TranslatedTextsMixin, _ObjectTextBase), _translation_fields()
)


class ApprovalForm(forms.Form):
    no_person_visible = forms.BooleanField(
        label=_("No person and no part of a body is visible, not even in a reflection.")
    )
    no_identifying_text = forms.BooleanField(
        label=_("No text identifies a person, an address or the investigation.")
    )
    nothing_alerts_offender = forms.BooleanField(
        label=_("Nothing in the crop could tip off an offender that this image is known.")
    )
    # The object as the approver saw it: an edit made meanwhile must be reviewed, not
    # published unseen (four eyes means the second pair saw the published text).
    reviewed_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, obj: TracedObject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.obj = obj
        self.fields["reviewed_version"].initial = self.version_of(obj)

    @staticmethod
    def version_of(obj: TracedObject) -> str:
        return obj.updated_at.isoformat()

    def clean_reviewed_version(self) -> str:
        version = self.cleaned_data["reviewed_version"]
        if version != self.version_of(self.obj):
            raise forms.ValidationError(
                _("This object was changed since you opened this page; review it again."),
                code="stale",
            )
        return version

    def checklist(self) -> ApprovalChecklist:
        data = self.cleaned_data
        return ApprovalChecklist(
            no_person_visible=data["no_person_visible"],
            no_identifying_text=data["no_identifying_text"],
            nothing_alerts_offender=data["nothing_alerts_offender"],
        )


class IdentifyForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=[("", "---------"), *Outcome.choices])
    public_line = CleanCharField(
        label=_("public outcome"),
        max_length=200,
        help_text=_(
            "One line the public will read on the object's page, e.g. 'Country narrowed "
            "thanks to your tips.' Nothing that could identify a child or the case."
        ),
    )
