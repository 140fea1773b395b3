"""The investigators' back office: cases and objects as the admin framework lists and edits
them. Who sees what: `TracedObject.objects.visible_to`; the pages beyond list and form are
in objects/backoffice/, the bulk actions in objects/actions.py, every write in services."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from objects import actions
from objects.backoffice.approve import approve_view
from objects.backoffice.columns import ObjectColumns
from objects.backoffice.common import (
    may,
    near_duplicate_lines,
    owned_case_ids_of,
    visible_object_or_404,
)
from objects.backoffice.identify import identify_view
from objects.backoffice.image import image_view
from objects.backoffice.upload import upload_view
from objects.forms import (
    CaseForm,
    ObjectTextForm,
    ObjectUploadForm,
    translation_field_names,
    translation_languages,
)
from objects.models import Case, ObjectState, TracedObject
from objects.selectors import cases_of, cases_with_object_counts
from objects.services import (
    EDITABLE_DETAILS,
    EDITABLE_STATES,
    TransitionError,
    case_create,
    check_can_approve,
    check_can_identify,
    object_update_details,
)
from traceobject.backoffice import staff_user

EDITABLE_FIELDS = list(EDITABLE_DETAILS)  # the fieldsets' order; the rule is the service's

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec as Fieldsets


@admin.register(Case)
class CaseAdmin(AuditHistory, admin.ModelAdmin):
    form = CaseForm
    list_display = ["reference", "title", "object_count", "created_at"]
    search_fields = ["reference", "title"]
    filter_horizontal = ["owners"]
    fields = ["reference", "title", "owners", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return cases_with_object_counts(
            user=staff_user(request), cases=super().get_queryset(request)
        )

    @admin.display(description=gettext_lazy("objects"), ordering="object_count")
    def object_count(self, case: Case) -> str:
        url = reverse("admin:objects_tracedobject_changelist")
        return format_html('<a href="{}?case={}">{}</a>', url, case.pk, case.object_count)  # type: ignore[attr-defined]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Someone else's case is not found, rather than the admin's redirect home.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("No such case."))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"owners": [request.user.pk], **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Case, form: ModelForm, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        case = case_create(
            reference=obj.reference,
            title=obj.title,
            owners=list(form.cleaned_data["owners"]),
            by=staff_user(request),
        )
        obj.pk, obj.created_at = case.pk, case.created_at
        return None

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        if change:  # a new case's owners were set by case_create
            super().save_related(request, form, formsets, change)


class CaseFilter(admin.SimpleListFilter):
    """Only the cases the user owns: other cases' references are none of their business."""

    title = gettext_lazy("case")
    parameter_name = "case"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        cases = cases_of(user=staff_user(request)).values_list("pk", "reference")
        return [(str(pk), reference) for pk, reference in cases]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(case_id=value) if value and value.isdigit() else queryset


class FourEyesFilter(admin.SimpleListFilter):
    title = gettext_lazy("four eyes")
    parameter_name = "approval"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("mine", gettext_lazy("Awaiting my approval")),
            ("others", gettext_lazy("My uploads awaiting someone else")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return queryset.awaiting_approval_by(request.user)  # type: ignore[attr-defined]
        if self.value() == "others":
            return queryset.filter(state=ObjectState.AWAITING_APPROVAL, uploaded_by=request.user)
        return queryset


@admin.register(TracedObject)
class TracedObjectAdmin(AuditHistory, ObjectColumns, admin.ModelAdmin):
    form = ObjectTextForm
    list_display = [
        "code",
        "thumbnail_image",
        "title",
        "case",
        "owner",
        "category",
        "state",
        "uploaded_by",
        "published_at",
    ]
    list_display_links = ["code", "title"]
    list_filter = [FourEyesFilter, "state", "category", CaseFilter]
    list_select_related = ["case", "uploaded_by", "approved_by", "owner"]
    search_fields = ["code", "title"]
    ordering = ["-created_at"]
    actions = [actions.retire_objects]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        view = partial(partial, model_admin=self)
        return [
            path("add/", wrap(view(upload_view)), name="objects_tracedobject_add"),
            path(
                "<path:object_id>/approve/",
                wrap(view(approve_view)),
                name="objects_tracedobject_approve",
            ),
            path(
                "<path:object_id>/identify/",
                wrap(view(identify_view)),
                name="objects_tracedobject_identify",
            ),
            path(
                "<path:object_id>/image/<str:kind>/",
                wrap(view(image_view)),
                name="objects_tracedobject_image",
            ),
            *super().get_urls(),
        ]

    # --- Who sees and changes what

    def get_queryset(self, request: HttpRequest) -> QuerySet[TracedObject]:
        return TracedObject.objects.visible_to(request.user)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # A case reference stays between the case's investigators: analysts, administrators
        # and other investigators see public objects of a case, never which case.
        columns = list(super().get_list_display(request))
        owned = owned_case_ids_of(request)
        if owned is None:
            return columns

        @admin.display(description=gettext_lazy("case"))
        def case(obj: TracedObject) -> str:
            return obj.case.reference if obj.case_id in owned else _("another case")

        return [case if column == "case" else column for column in columns]

    def has_change_permission(self, request: HttpRequest, obj: TracedObject | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        # A partner's object is read only here: only its owner changes it.
        return allowed and (obj is None or (obj.is_ours and obj.state in EDITABLE_STATES))

    def has_delete_permission(self, request: HttpRequest, obj: TracedObject | None = None) -> bool:
        return False  # objects are retired, never deleted: tips and the audit refer to them

    def has_retire_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("objects.retire_tracedobject")

    # --- Forms and fields

    def get_form(
        self,
        request: HttpRequest,
        obj: TracedObject | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[ModelForm]:
        if obj is None:
            kwargs["form"] = ObjectUploadForm
        elif self.has_change_permission(request, obj):
            kwargs["form"] = ObjectTextForm
        return super().get_form(request, obj, change, **kwargs)

    def translation_fieldsets(
        self, request: HttpRequest, obj: TracedObject | None = None
    ) -> Fieldsets:
        """One folded section per language; read only, one summary, once published."""
        if obj is not None and not self.has_change_permission(request, obj):
            return [(_("Translations"), {"fields": ["translations_summary"]})]
        return [
            (
                _("In %(language)s (optional: English is shown where empty)") % {"language": name},
                {"fields": [*translation_field_names(code)], "classes": ["collapse"]},
            )
            for code, name in translation_languages()
        ]

    def get_fieldsets(self, request: HttpRequest, obj: TracedObject | None = None) -> Fieldsets:
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
        if not obj.is_ours:  # approved by its owner, under the owner's rules
            lifecycle = ["owner", "owner_ref", "created_at", "published_at"]
        if obj.outcome:
            lifecycle += ["outcome", "outcome_public_line", "identified_at"]
        if obj.retired_at:
            lifecycle.append("retired_at")
        owned = owned_case_ids_of(request)
        if owned is None or obj.case_id in owned:
            status.append("case_reference")
        return [
            (None, {"fields": status}),
            (_("What the public sees"), {"fields": [*EDITABLE_FIELDS, "display_image"]}),
            *self.translation_fieldsets(request, obj),
            (_("Lifecycle"), {"fields": lifecycle}),
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: TracedObject | None = None
    ) -> list[str]:
        if obj is None:
            return []
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        translated = {
            n for code, _name in translation_languages() for n in translation_field_names(code)
        }
        return [name for name in fields if name not in EDITABLE_FIELDS and name not in translated]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "case" and not request.user.is_superuser:
            kwargs["queryset"] = cases_of(user=staff_user(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Change page: the text through object_update_details, never ModelForm.save()

    def save_model(
        self, request: HttpRequest, obj: TracedObject, form: ModelForm, change: bool
    ) -> None:
        if not change:
            raise RuntimeError("objects are created by object_submit, see upload_view")
        changed = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        if form.translations_changed():  # type: ignore[attr-defined]
            changed["translations"] = form.translations()  # type: ignore[attr-defined]
        if changed:
            # A conditional update of the edited text only (see object_update_details).
            object_update_details(obj=obj, by=staff_user(request), details=changed)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = visible_object_or_404(self, request, object_id)
        user = staff_user(request)
        context = {
            "can_approve": may(check_can_approve, obj=obj, by=user),
            "can_identify": obj.state == ObjectState.PUBLISHED
            and may(check_can_identify, obj=obj, by=user),
            "near_duplicates": near_duplicate_lines(request, obj),
            **(extra_context or {}),
        }
        try:
            return super().change_view(request, object_id, form_url, context)
        except TransitionError as exc:  # from save_model: nothing was written
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.path)
