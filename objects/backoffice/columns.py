"""The object list's columns and the change page's read-only fields, for TracedObjectAdmin
(all output escaped by format_html)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects.forms import translation_languages
from objects.models import ObjectState, TracedObject
from objects.staff_images import display_image_html, fitted, staff_image_url

THUMBNAIL_SIDE = 64  # pixels: the long side of a thumbnail in the list


class ObjectColumns:
    """Mixed into the ModelAdmin, whose get_empty_value_display it uses."""

    @admin.display(description=gettext_lazy("image"))
    def thumbnail_image(self, obj: TracedObject) -> str:
        if not obj.thumbnail:
            return cast(Any, self).get_empty_value_display()  # the ModelAdmin's
        width, height = fitted(obj.thumbnail_width, obj.thumbnail_height, THUMBNAIL_SIDE)
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
            staff_image_url(obj.pk, "thumbnail"),
            obj.alt_text,
            width,
            height,
        )

    @admin.display(description=gettext_lazy("image"))
    def display_image(self, obj: TracedObject) -> str:
        return display_image_html(obj)

    @admin.display(description=gettext_lazy("status"))
    def status_note(self, obj: TracedObject) -> str:
        if obj.state == ObjectState.DRAFT:
            return _(
                "This draft is being processed: the crop is checked, stripped of its "
                "metadata and re-encoded in the background. Reload this page in a minute."
            )
        if obj.state == ObjectState.AWAITING_APPROVAL:
            return _("Another investigator of this case must approve it before it is public.")
        if obj.state == ObjectState.FAILED:
            return _("This crop cannot be published. Upload a corrected file as a new object.")
        return ""

    @admin.display(description=gettext_lazy("case"))
    def case_reference(self, obj: TracedObject) -> str:
        return obj.case.reference

    @admin.display(description=gettext_lazy("uploaded by"))
    def uploaded_by_name(self, obj: TracedObject) -> str:
        return obj.uploaded_by.get_username() if obj.uploaded_by else ""

    @admin.display(description=gettext_lazy("translations"))
    def translations_summary(self, obj: TracedObject) -> str:
        names = dict(translation_languages())
        done = [names[code] for code in names if code in (obj.translations or {})]
        return ", ".join(done) or _("none: every page shows the English text")

    @admin.display(description=gettext_lazy("approved by"))
    def approved_by_name(self, obj: TracedObject) -> str:
        return obj.approved_by.get_username() if obj.approved_by else ""
