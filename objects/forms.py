"""Back-office forms for objects: the upload, and the forms behind each lifecycle action.

The upload takes a plain file, never an ImageField: Django would decode an untrusted image
in the web process to validate it. Here we only check what is free to check (present, not
empty, under the size cap); the intake task does the real validation in a worker.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from objects.models import Case, Outcome, TracedObject
from objects.services import ApprovalChecklist, ObjectDetails, intake_limits
from traceobject.text import CleanCharField

UPLOAD_FIELDS = ["title", "category", "questions", "region_hint", "alt_text", "case"]
# What staff type that the public reads: cleaned as a tipster's text is, so a direction
# override cannot make a published title or question read differently from what it says.
OBJECT_TEXT_FIELDS = ["title", "questions", "region_hint", "alt_text"]


class ObjectTextForm(forms.ModelForm):
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


class ObjectUploadForm(ObjectTextForm):
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

    class Meta(ObjectTextForm.Meta):
        fields = UPLOAD_FIELDS

    def clean_image(self):
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

    def __init__(self, *args, obj: TracedObject, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj = obj
        self.fields["reviewed_version"].initial = self.version_of(obj)

    @staticmethod
    def version_of(obj: TracedObject) -> str:
        return obj.updated_at.isoformat()

    def clean_reviewed_version(self):
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
