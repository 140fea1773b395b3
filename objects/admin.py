"""The investigators' back office: cases, uploads and the object lifecycle.

An investigator sees the cases they own, the unpublished objects of those cases, and every
public or retired object (`TracedObject.objects.visible_to`); anything else answers 404.
Every change of state goes through objects.services; this module only collects the input,
checks who may ask, and reports the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.history import AuditHistory
from objects.forms import (
    ApprovalForm,
    CaseForm,
    IdentifyForm,
    ObjectTextForm,
    ObjectUploadForm,
    translation_field_names,
    translation_languages,
)
from objects.imaging import ImageRejected
from objects.media import private_storage
from objects.models import Case, ObjectState, Resemblance, TracedObject
from objects.services import (
    EDITABLE_STATES,
    TransitionError,
    case_create,
    check_can_approve,
    check_can_identify,
    check_identifiable,
    object_approve,
    object_mark_identified,
    object_retire,
    object_submit,
    object_update_details,
)
from objects.staff_images import fitted, staff_image_url
from traceobject.backoffice import BackOfficePages

# The text an investigator may still correct. Once an object is public its text is what a
# second investigator approved, so it is frozen: a change needs a new upload and approval.
EDITABLE_FIELDS = ["title", "category", "questions", "region_hint", "alt_text"]

THUMBNAIL_SIDE = 64  # pixels: the long side of a thumbnail in the list
PREVIEW_SIDE = 480  # pixels: the long side of the image on the change page


# --- Cases --------------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(AuditHistory, admin.ModelAdmin):
    form = CaseForm
    list_display = ["reference", "title", "object_count", "created_at"]
    search_fields = ["reference", "title"]
    filter_horizontal = ["owners"]
    fields = ["reference", "title", "owners", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        cases = super().get_queryset(request)
        if not request.user.is_superuser:
            cases = cases.filter(owners=request.user)
        return cases.annotate(object_count=Count("traced_objects", distinct=True))

    @admin.display(description=gettext_lazy("objects"), ordering="object_count")
    def object_count(self, case):
        url = reverse("admin:objects_tracedobject_changelist")
        return format_html('<a href="{}?case={}">{}</a>', url, case.pk, case.object_count)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Someone else's case is not found, rather than the admin's redirect home.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("No such case."))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        return {"owners": [request.user.pk], **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        case = case_create(
            reference=obj.reference,
            title=obj.title,
            owners=list(form.cleaned_data["owners"]),
            by=request.user,
        )
        obj.pk, obj.created_at = case.pk, case.created_at
        return None

    def save_related(self, request, form, formsets, change):
        if change:  # a new case's owners were set by case_create
            super().save_related(request, form, formsets, change)


# --- Objects: list filters ---------------------------------------------------------------


class CaseFilter(admin.SimpleListFilter):
    """Only the cases the user owns: other cases' references are none of their business."""

    title = gettext_lazy("case")
    parameter_name = "case"

    def lookups(self, request, model_admin):
        cases = Case.objects.all()
        if not request.user.is_superuser:
            cases = cases.filter(owners=request.user)
        return [(str(pk), reference) for pk, reference in cases.values_list("pk", "reference")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(case_id=self.value())
        return queryset


class FourEyesFilter(admin.SimpleListFilter):
    title = gettext_lazy("four eyes")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [
            ("mine", gettext_lazy("Awaiting my approval")),
            ("others", gettext_lazy("My uploads awaiting someone else")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.awaiting_approval_by(request.user)
        if self.value() == "others":
            return queryset.filter(state=ObjectState.AWAITING_APPROVAL, uploaded_by=request.user)
        return queryset


# --- Objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearDuplicate:
    line: str  # safe HTML: "looks like <a>TAO-2026-0007</a>, case CASE-2025-003 (distance 4)"


def owned_case_ids(request) -> set[int] | None:
    """The cases whose reference the user may read; None for a superuser (every case).
    Asked once per request."""
    if request.user.is_superuser:
        return None
    if not hasattr(request, "owned_case_ids"):
        owned = Case.objects.filter(owners=request.user).values_list("pk", flat=True)
        request.owned_case_ids = set(owned)
    return request.owned_case_ids


@admin.register(TracedObject)
class TracedObjectAdmin(AuditHistory, BackOfficePages, admin.ModelAdmin):
    form = ObjectTextForm
    list_display = [
        "code",
        "thumbnail_image",
        "title",
        "case",
        "category",
        "state",
        "uploaded_by",
        "published_at",
    ]
    list_display_links = ["code", "title"]
    list_filter = [FourEyesFilter, "state", "category", CaseFilter]
    list_select_related = ["case", "uploaded_by", "approved_by"]
    search_fields = ["code", "title"]
    ordering = ["-created_at"]
    actions = ["retire_objects"]

    # --- Who sees and changes what

    def get_queryset(self, request):
        return TracedObject.objects.visible_to(request.user)

    def get_list_display(self, request):
        # A case reference stays between the case's investigators: analysts, administrators
        # and other investigators see public objects of a case, never which case.
        columns = list(super().get_list_display(request))
        owned = owned_case_ids(request)
        if owned is None:
            return columns

        @admin.display(description=gettext_lazy("case"))
        def case(obj):
            return obj.case.reference if obj.case_id in owned else _("another case")

        return [case if column == "case" else column for column in columns]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.state in EDITABLE_STATES)

    def has_delete_permission(self, request, obj=None):
        return False  # objects are retired, never deleted: tips and the audit refer to them

    def has_retire_permission(self, request):
        return request.user.has_perm("objects.retire_tracedobject")

    def visible_object_or_404(self, request, object_id: str) -> TracedObject:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No such object."))
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    # --- Forms and fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ObjectUploadForm
        elif self.has_change_permission(request, obj):
            kwargs["form"] = ObjectTextForm
        return super().get_form(request, obj, **kwargs)

    def translation_fieldsets(self, request, obj=None) -> list:
        """One folded section per language; read only, one summary, once published."""
        if obj is not None and not self.has_change_permission(request, obj):
            return [(_("Translations"), {"fields": ["translations_summary"]})]
        return [
            (
                _("In %(language)s (optional: English is shown where empty)") % {"language": name},
                {"fields": translation_field_names(code), "classes": ["collapse"]},
            )
            for code, name in translation_languages()
        ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["case", "image"]}),
                (_("What the public will see"), {"fields": EDITABLE_FIELDS}),
                *self.translation_fieldsets(request),
            ]
        status = ["code", "state"]
        if obj.state in (ObjectState.DRAFT, ObjectState.AWAITING_APPROVAL):
            status.append("status_note")
        if obj.state == ObjectState.FAILED:
            status += ["status_note", "failure_reason"]
        lifecycle = ["uploaded_by_name", "created_at", "approved_by_name", "published_at"]
        if obj.outcome:
            lifecycle += ["outcome", "outcome_public_line", "identified_at"]
        if obj.retired_at:
            lifecycle.append("retired_at")
        owned = owned_case_ids(request)
        if owned is None or obj.case_id in owned:
            status.append("case_reference")
        return [
            (None, {"fields": status}),
            (_("What the public sees"), {"fields": [*EDITABLE_FIELDS, "display_image"]}),
            *self.translation_fieldsets(request, obj),
            (_("Lifecycle"), {"fields": lifecycle}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        translated = {
            n for code, _name in translation_languages() for n in translation_field_names(code)
        }
        return [name for name in fields if name not in EDITABLE_FIELDS and name not in translated]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case" and not request.user.is_superuser:
            kwargs["queryset"] = Case.objects.filter(owners=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Columns and read-only fields (all output escaped by format_html)

    def image_url(self, obj, kind: str) -> str:
        return staff_image_url(obj.pk, kind)

    @admin.display(description=gettext_lazy("image"))
    def thumbnail_image(self, obj):
        if not obj.thumbnail:
            return self.get_empty_value_display()
        width, height = fitted(obj.thumbnail_width, obj.thumbnail_height, THUMBNAIL_SIDE)
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
            self.image_url(obj, "thumbnail"),
            obj.alt_text,
            width,
            height,
        )

    @admin.display(description=gettext_lazy("image"))
    def display_image(self, obj):
        if not obj.display:
            return _("No image yet: it appears once the upload is processed.")
        width, height = fitted(obj.display_width, obj.display_height, PREVIEW_SIDE)
        return format_html(
            '<a href="{0}"><img src="{0}" alt="{1}" width="{2}" height="{3}"></a>',
            self.image_url(obj, "display"),
            obj.alt_text,
            width,
            height,
        )

    @admin.display(description=gettext_lazy("status"))
    def status_note(self, obj):
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
    def case_reference(self, obj):
        return obj.case.reference

    @admin.display(description=gettext_lazy("uploaded by"))
    def uploaded_by_name(self, obj):
        return obj.uploaded_by.get_username()

    @admin.display(description=gettext_lazy("translations"))
    def translations_summary(self, obj):
        names = dict(translation_languages())
        done = [names[code] for code in names if code in (obj.translations or {})]
        return ", ".join(done) or _("none: every page shows the English text")

    @admin.display(description=gettext_lazy("approved by"))
    def approved_by_name(self, obj):
        return obj.approved_by.get_username() if obj.approved_by else ""

    # --- Upload (add view): object_submit creates the row, never ModelForm.save()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        fieldsets = self.get_fieldsets(request)
        UploadForm = self.get_form(request, None, change=False, fields=flatten_fieldsets(fieldsets))
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid() and (obj := self.submit_upload(request, form)):
                return self.response_add(request, obj)
        else:
            form = UploadForm(initial=self.get_changeform_initial_data(request))
        admin_form = helpers.AdminForm(form, fieldsets, {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload an object"),
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def submit_upload(self, request, form) -> TracedObject | None:
        try:
            with transaction.atomic():
                obj = object_submit(
                    case=form.cleaned_data["case"],
                    uploaded_by=request.user,
                    upload=form.cleaned_data["image"],
                    details=form.details(),
                )
                self.log_addition(request, obj, [{"added": {}}])
        except ImageRejected as exc:
            form.add_error("image", _("The file was refused: %(reason)s.") % {"reason": exc})
            return None
        return obj

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _(
                "%(code)s was uploaded. It is being processed in the background; this page "
                "shows the result once it is done."
            )
            % {"code": obj.code},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.change_url(obj))

    def save_model(self, request, obj, form, change):
        if not change:
            raise RuntimeError("objects are created by object_submit, see add_view")
        changed = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        if form.translations_changed():
            changed["translations"] = form.translations()
        if changed:
            # A conditional update of the edited text only (see object_update_details).
            object_update_details(obj=obj, by=request.user, details=changed)

    # --- Change page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.visible_object_or_404(request, object_id)
        context = {
            "can_approve": self.may_approve(request, obj),
            "can_identify": obj.state == ObjectState.PUBLISHED and self.may_identify(request, obj),
            "near_duplicates": self.near_duplicates(request, obj),
            **(extra_context or {}),
        }
        try:
            return super().change_view(request, object_id, form_url, context)
        except TransitionError as exc:  # from save_model: nothing was written
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def near_duplicates(self, request, obj) -> list[NearDuplicate]:
        """Every resemblance in either direction, showing only what the user may see: an
        object they may not open is "a similar object in another case" (its case's owners
        were mailed, objects.services.resemblance_notify); a case reference appears only
        for a case they own."""
        rows = Resemblance.objects.filter(Q(new=obj) | Q(existing=obj)).select_related(
            "new__case", "existing__case"
        )
        others: dict[int, tuple[TracedObject, int]] = {}
        for row in rows:
            other = row.existing if row.new_id == obj.pk else row.new
            if other.pk not in others or row.distance < others[other.pk][1]:
                others[other.pk] = (other, row.distance)
        visible = set(self.get_queryset(request).filter(pk__in=others).values_list("pk", flat=True))
        owned = owned_case_ids(request)
        found = []
        for other, distance in sorted(others.values(), key=lambda pair: pair[1]):
            if other.pk not in visible:
                line = format_html(
                    _("a similar object exists in another case (distance {distance})"),
                    distance=distance,
                )
            else:
                code = format_html('<a href="{}">{}</a>', self.change_url(other), other.code)
                if owned is None or other.case_id in owned:
                    line = format_html(
                        _("looks like {code}, case {case} (distance {distance})"),
                        code=code,
                        case=other.case.reference,
                        distance=distance,
                    )
                else:
                    line = format_html(
                        _("looks like {code}, in another case (distance {distance})"),
                        code=code,
                        distance=distance,
                    )
            found.append(NearDuplicate(line=line))
        return found

    def change_url(self, obj) -> str:
        return reverse("admin:objects_tracedobject_change", args=[obj.pk])

    # --- Approve and publish, mark identified: one page each

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                wrap(self.approve_view),
                name="objects_tracedobject_approve",
            ),
            path(
                "<path:object_id>/identify/",
                wrap(self.identify_view),
                name="objects_tracedobject_identify",
            ),
            path(
                "<path:object_id>/image/<str:kind>/",
                wrap(self.image_view),
                name="objects_tracedobject_image",
            ),
            *super().get_urls(),
        ]

    # --- The images, for staff who may see the object (404 for anyone else)

    def image_view(self, request, object_id, kind):
        obj = self.visible_object_or_404(request, object_id)
        field = {"display": obj.display, "thumbnail": obj.thumbnail}.get(kind)
        if not field:
            raise Http404(_("No such image."))
        if settings.PRIVATE_MEDIA_ACCEL_REDIRECT:
            # nginx sends the file from its `internal` location (deploy/nginx.conf).
            response = HttpResponse(content_type="image/jpeg")
            response["X-Accel-Redirect"] = f"/private-media/{field.name}"
        else:
            storage = private_storage()
            if not storage.exists(field.name):
                raise Http404(_("No such image."))
            response = FileResponse(storage.open(field.name, "rb"), content_type="image/jpeg")
        # Never kept by a browser's or a proxy's cache: an unpublished image stays in here.
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    def may_approve(self, request, obj) -> bool:
        try:
            check_can_approve(obj=obj, by=request.user)
        except (PermissionDenied, TransitionError):
            return False
        return True

    def may_identify(self, request, obj) -> bool:
        try:
            check_can_identify(obj=obj, by=request.user)
        except PermissionDenied:
            return False
        return True

    def approve_view(self, request, object_id):
        obj = self.visible_object_or_404(request, object_id)
        state_error = None
        try:
            check_can_approve(obj=obj, by=request.user)
        except PermissionDenied as exc:
            return self.refused(request, obj, exc)
        except TransitionError as exc:
            if request.method != "POST":
                self.message_user(request, str(exc), messages.WARNING)
                return HttpResponseRedirect(self.change_url(obj))
            state_error = str(exc)  # e.g. a second click: already published
        form = ApprovalForm(request.POST if request.method == "POST" else None, obj=obj)
        if state_error:
            form.add_error(None, state_error)
        elif form.has_error("reviewed_version"):
            # Reload the page so the approver reviews the object as it is now.
            self.message_user(request, form.errors["reviewed_version"][0], messages.WARNING)
            return HttpResponseRedirect(request.path)
        elif form.is_valid():
            try:
                object_approve(
                    obj=obj,
                    by=request.user,
                    checklist=form.checklist(),
                    expected_updated_at=obj.updated_at,
                )
            except PermissionDenied as exc:
                return self.refused(request, obj, exc)
            except TransitionError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, obj, _("Approved and published."))
                self.message_user(request, _("%(code)s is now public.") % {"code": obj.code})
                return HttpResponseRedirect(self.change_url(obj))
        return self.render_action(
            request,
            obj,
            form,
            title=_("Approve and publish %(code)s") % {"code": obj.code},
            intro=_(
                "Look at the image and the text below. Publish only if you can confirm "
                "every item: once public, anyone can see this object."
            ),
            submit_label=_("Approve and publish"),
        )

    def identify_view(self, request, object_id):
        obj = self.visible_object_or_404(request, object_id)
        try:
            check_can_identify(obj=obj, by=request.user)
            if request.method != "POST":
                check_identifiable(obj=obj)
        except PermissionDenied as exc:
            return self.refused(request, obj, exc)
        except TransitionError as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return HttpResponseRedirect(self.change_url(obj))
        form = IdentifyForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                object_mark_identified(
                    obj=obj,
                    by=request.user,
                    outcome=form.cleaned_data["outcome"],
                    public_line=form.cleaned_data["public_line"],
                )
            except PermissionDenied as exc:
                return self.refused(request, obj, exc)
            except TransitionError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, obj, _("Marked identified."))
                self.message_user(request, _("%(code)s is marked identified.") % {"code": obj.code})
                return HttpResponseRedirect(self.change_url(obj))
        return self.render_action(
            request,
            obj,
            form,
            title=_("Mark %(code)s identified") % {"code": obj.code},
            intro=_("The outcome and its one line are shown on the object's public page."),
            submit_label=_("Mark identified"),
        )

    def render_action(self, request, obj, form, *, title, intro, submit_label):
        return self.render_page(
            request,
            "admin/objects/tracedobject/action_form.html",
            original=obj,
            title=title,
            intro=intro,
            form=form,
            submit_label=submit_label,
            change_url=self.change_url(obj),
            display_image=self.display_image(obj),
        )

    def refused(self, request, obj, reason):
        return self.render_page(
            request,
            "admin/objects/tracedobject/refused.html",
            status=403,
            original=obj,
            title=_("Not allowed"),
            reason=str(reason),
            change_url=self.change_url(obj),
        )

    # --- Retire (changelist action, with a confirmation page)

    @admin.action(description=gettext_lazy("Retire the selected objects"), permissions=["retire"])
    def retire_objects(self, request, queryset):
        if request.POST.get("post") != "yes":
            return self.render_page(
                request,
                "admin/objects/tracedobject/retire_confirmation.html",
                title=_("Retire objects"),
                queryset=queryset,
                owned_case_ids=owned_case_ids(request),
                action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            )
        retired, skipped = [], []
        for obj in queryset:
            reason = self.retire_one(request, obj)
            if reason:
                skipped.append(f"{obj.code}: {reason}")
            else:
                retired.append(obj.code)
        if retired:
            self.message_user(
                request,
                ngettext(
                    "Retired %(count)d object: %(codes)s.",
                    "Retired %(count)d objects: %(codes)s.",
                    len(retired),
                )
                % {"count": len(retired), "codes": ", ".join(retired)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("Skipped %(count)d: %(reasons)s")
                % {"count": len(skipped), "reasons": "; ".join(skipped)},
                messages.WARNING,
            )
        return None

    def retire_one(self, request, obj) -> str | None:
        """Retire one object; the reason it was skipped, or None."""
        if obj.state == ObjectState.RETIRED:
            return _("already retired")
        try:
            object_retire(obj=obj, by=request.user)
        except (PermissionDenied, TransitionError) as exc:
            return str(exc)
        self.log_change(request, obj, _("Retired."))
        return None
