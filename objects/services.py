"""Writes for cases and objects: intake, and one function per lifecycle transition.

Every transition checks who asks (`check_can_*`) first, then runs its conditional UPDATE and
its audit entry in one transaction: twice, or by two people at once, it changes the row once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from objects.intake import intake_limits, intake_queue, intake_store
from objects.media import media_publish, media_unpublish
from objects.models import (
    Case,
    ObjectCodeCounter,
    ObjectState,
    Outcome,
    TracedObject,
)
from traceobject.pagecache import page_cache_bump


class TransitionError(Exception):
    """The object is not in a state that allows this; str() says why, for a person."""


@dataclass(frozen=True)
class ObjectDetails:
    title: str
    category: str
    questions: str
    alt_text: str
    region_hint: str = ""
    # {"fr": {"title": "…", …}, …}; cleaned by translations_clean before it is stored.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


# Each translated text is held to its English field's length.
TRANSLATION_LIMITS = {"title": 120, "questions": 1000, "region_hint": 80, "alt_text": 300}


def translations_clean(translations: dict) -> dict[str, dict[str, str]]:
    """Only the site's other languages and the translatable fields, stripped, within limits;
    empty texts left out (a page then shows the English, marked as such)."""
    languages = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    cleaned: dict[str, dict[str, str]] = {}
    for code, texts in (translations or {}).items():
        if code not in languages or not isinstance(texts, dict):
            continue
        kept = {
            name: str(texts[name]).strip()[:limit]
            for name, limit in TRANSLATION_LIMITS.items()
            if str(texts.get(name) or "").strip()
        }
        if kept:
            cleaned[code] = kept
    return cleaned


# --- Cases ------------------------------------------------------------------------------


def check_can_create_case(*, by: User) -> None:
    if not by.has_perm("objects.add_case"):
        raise PermissionDenied(_("You do not have the permission to create cases."))


def case_create(*, reference: str, title: str, owners: list[User], by: User) -> Case:
    """A new case, owned by `owners` and by its creator (or it would vanish from their own
    list: investigators see only the cases they own). A superuser need not own it."""
    check_can_create_case(by=by)
    with transaction.atomic():
        case = Case.objects.create(reference=reference.strip(), title=title)
        case.owners.set({*owners, *([] if by.is_superuser else [by])})
        log_action(
            "case.created",
            user=by,
            target=case,
            data={"owners": sorted(user.get_username() for user in case.owners.all())},
        )
    return case


def case_ensure(*, reference: str, owner: User | None = None, title: str = "") -> Case:
    case, _ = Case.objects.get_or_create(reference=reference.strip(), defaults={"title": title})
    if owner is not None:
        case.owners.add(owner)
    return case


# --- Intake -----------------------------------------------------------------------------


def object_code_next(*, year: int) -> str:
    """Hand out the next code of the year; the row lock makes it safe under concurrency."""
    with transaction.atomic():
        ObjectCodeCounter.objects.get_or_create(year=year)
        counter = ObjectCodeCounter.objects.select_for_update().get(year=year)
        counter.last = F("last") + 1
        counter.save(update_fields=["last"])
        counter.refresh_from_db(fields=["last"])
    return f"{settings.OBJECT_CODE_PREFIX}-{year}-{counter.last:04d}"


def check_can_upload(*, case: Case, by: User) -> None:
    if not by.has_perm("objects.add_tracedobject"):
        raise PermissionDenied(_("You do not have the permission to upload objects."))
    if not (by.is_superuser or case.owners.filter(pk=by.pk).exists()):
        raise PermissionDenied(_("Only an investigator of this case can upload to it."))


def object_submit(
    *,
    case: Case,
    uploaded_by: User,
    upload: BinaryIO,
    details: ObjectDetails,
    queue_intake: bool = True,
) -> TracedObject:
    """Create a draft from an upload and queue its intake once the transaction commits.

    Raises ImageRejected (and creates nothing) when the file is empty or over the size cap;
    every other check happens in the intake task.
    """
    check_can_upload(case=case, by=uploaded_by)
    path = intake_store(upload, intake_limits().max_bytes)
    try:
        with transaction.atomic():
            obj = TracedObject.objects.create(
                code=object_code_next(year=timezone.now().year),
                case=case,
                uploaded_by=uploaded_by,
                title=details.title,
                category=details.category,
                questions=details.questions,
                region_hint=details.region_hint,
                alt_text=details.alt_text,
                translations=translations_clean(details.translations),
                intake_path=path.name,
            )
            log_action(
                "object.uploaded", user=uploaded_by, target=obj, data={"case": case.reference}
            )
            if queue_intake:
                intake_queue(object_id=obj.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return obj


# --- Transitions ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalChecklist:
    no_person_visible: bool
    no_identifying_text: bool
    nothing_alerts_offender: bool

    @property
    def complete(self) -> bool:
        return self.no_person_visible and self.no_identifying_text and self.nothing_alerts_offender


EDITABLE_STATES = (ObjectState.DRAFT, ObjectState.AWAITING_APPROVAL, ObjectState.FAILED)


def _check_owns_case(*, obj: TracedObject, by: User, action: str) -> None:
    # A partner's object changes only at its owner (objects/partners.py), superusers too.
    if not obj.is_ours:
        raise PermissionDenied(
            _("%(code)s belongs to a partner portal: only its owner can change it.")
            % {"code": obj.code}
        )
    if not (by.is_superuser or obj.case.owners.filter(pk=by.pk).exists()):
        raise PermissionDenied(
            _("Only an investigator of this object's case can %(action)s it.") % {"action": action}
        )


def _public_pages_changed() -> None:
    """Cached public pages go stale once this change commits: bumped any earlier, a page
    rendered from the old rows could be stored under the new version."""
    transaction.on_commit(page_cache_bump)


def check_can_approve(*, obj: TracedObject, by: User) -> None:
    if not by.has_perm("objects.publish_tracedobject"):
        raise PermissionDenied(_("You do not have the permission to publish objects."))
    if obj.uploaded_by_id == by.pk:
        raise PermissionDenied(_("Another investigator must approve an object you uploaded."))
    _check_owns_case(obj=obj, by=by, action=_("approve"))
    if obj.state != ObjectState.AWAITING_APPROVAL:
        raise TransitionError(
            _("%(code)s is %(state)s, not awaiting approval.")
            % {"code": obj.code, "state": obj.get_state_display().lower()}
        )


def object_approve(
    *,
    obj: TracedObject,
    by: User,
    checklist: ApprovalChecklist,
    expected_updated_at: datetime | None = None,
) -> TracedObject:
    """Publish; with expected_updated_at, only the version the approver reviewed."""
    check_can_approve(obj=obj, by=by)
    if not checklist.complete:
        raise TransitionError(_("Every item of the checklist must be confirmed before publishing."))
    # The public copies are made before the object is public, so its page never shows a
    # missing image; they are taken back if the object did not become public after all.
    media_publish(obj=obj)
    now = timezone.now()
    current = TracedObject.objects.filter(pk=obj.pk, state=ObjectState.AWAITING_APPROVAL)
    if expected_updated_at is not None:
        current = current.filter(updated_at=expected_updated_at)
    try:
        with transaction.atomic():
            updated = current.update(
                state=ObjectState.PUBLISHED, approved_by=by, published_at=now, updated_at=now
            )
            if updated:
                obj.refresh_from_db()
                _public_pages_changed()
                log_action("object.approved", user=by, target=obj, data={"checklist": "confirmed"})
                log_action("object.published", user=by, target=obj)
    except BaseException:
        _public_copies_take_back(obj)
        raise
    if not updated:
        _public_copies_take_back(obj)
        raise TransitionError(
            _("%(code)s was changed by someone else meanwhile.") % {"code": obj.code}
        )
    return obj


def _public_copies_take_back(obj: TracedObject) -> None:
    """After an approval that did not happen: the public copies go, unless it is public."""
    obj.refresh_from_db()
    if not obj.is_public:
        media_unpublish(obj=obj)


# The public text an investigator may correct while the object is not public; `translations`
# holds the same fields in the other languages.
EDITABLE_DETAILS = ("title", "category", "questions", "region_hint", "alt_text")


def object_update_details(*, obj: TracedObject, by: User, details: dict[str, Any]) -> TracedObject:
    """Change the public text while the object is not yet public (never silently after)."""
    check_can_edit(obj=obj, by=by)
    allowed = {*EDITABLE_DETAILS, "translations"}
    if set(details) - allowed:
        raise ValueError(f"not editable: {sorted(set(details) - allowed)}")
    if "translations" in details:
        details = {**details, "translations": translations_clean(details["translations"])}
    with transaction.atomic():
        updated = TracedObject.objects.filter(pk=obj.pk, state__in=EDITABLE_STATES).update(
            **details, updated_at=timezone.now()
        )
        if updated:
            obj.refresh_from_db()
            _public_pages_changed()
            log_action("object.edited", user=by, target=obj, data={"fields": sorted(details)})
    if not updated:
        raise TransitionError(
            _("%(code)s was published or retired meanwhile; its text was not changed.")
            % {"code": obj.code}
        )
    return obj


def check_can_edit(*, obj: TracedObject, by: User) -> None:
    if not by.has_perm("objects.change_tracedobject"):
        raise PermissionDenied(_("You do not have the permission to edit objects."))
    _check_owns_case(obj=obj, by=by, action=_("edit"))


def check_can_identify(*, obj: TracedObject, by: User) -> None:
    if not by.has_perm("objects.identify_tracedobject"):
        raise PermissionDenied(_("You do not have the permission to mark objects identified."))
    _check_owns_case(obj=obj, by=by, action=_("mark identified"))


def check_identifiable(*, obj: TracedObject) -> None:
    """Only a published object can be marked identified; a second identification is refused
    rather than taken as done, so nobody believes their outcome replaced the first."""
    if obj.state != ObjectState.PUBLISHED:
        raise TransitionError(
            _("%(code)s is %(state)s, not published.")
            % {"code": obj.code, "state": obj.get_state_display().lower()}
        )


def object_mark_identified(
    *, obj: TracedObject, by: User, outcome: str, public_line: str
) -> TracedObject:
    check_can_identify(obj=obj, by=by)
    check_identifiable(obj=obj)
    if outcome not in Outcome.values:
        raise TransitionError(_("Choose an outcome."))
    now = timezone.now()
    with transaction.atomic():
        updated = TracedObject.objects.filter(pk=obj.pk, state=ObjectState.PUBLISHED).update(
            state=ObjectState.IDENTIFIED,
            outcome=outcome,
            outcome_public_line=public_line.strip()[:200],
            identified_at=now,
            updated_at=now,
        )
        obj.refresh_from_db()
        if updated:
            _public_pages_changed()
            log_action("object.identified", user=by, target=obj, data={"outcome": outcome})
    if updated:
        return obj
    if obj.state == ObjectState.IDENTIFIED and obj.outcome == outcome:
        return obj  # the same click twice, at the same moment
    if obj.state == ObjectState.IDENTIFIED:
        raise TransitionError(
            _("%(code)s is already identified with another outcome.") % {"code": obj.code}
        )
    raise TransitionError(
        _("%(code)s is %(state)s, not published.")
        % {"code": obj.code, "state": obj.get_state_display().lower()}
    )


def check_can_retire(*, obj: TracedObject, by: User) -> None:
    if not by.has_perm("objects.retire_tracedobject"):
        raise PermissionDenied(_("You do not have the permission to retire objects."))
    _check_owns_case(obj=obj, by=by, action=_("retire"))


def object_retire(*, obj: TracedObject, by: User) -> TracedObject:
    check_can_retire(obj=obj, by=by)
    now = timezone.now()
    with transaction.atomic():
        retired = (
            TracedObject.objects.filter(pk=obj.pk)
            .exclude(state=ObjectState.RETIRED)
            .exclude(state=ObjectState.DRAFT)
            .update(state=ObjectState.RETIRED, retired_at=now, updated_at=now)
        )
        obj.refresh_from_db()
        if retired:
            _public_pages_changed()
            log_action("object.retired", user=by, target=obj)
    if obj.state == ObjectState.RETIRED:
        # Nothing of a retired object stays public (once that is committed); staff still
        # see the private images.
        media_unpublish(obj=obj)
    if obj.state == ObjectState.DRAFT:
        raise TransitionError(
            _("%(code)s is still being processed; retire it once it is done.") % {"code": obj.code}
        )
    return obj
