"""Writes for cases and objects: intake, and one function per lifecycle transition.

Every transition is a conditional UPDATE on the current state, so doing it twice, or two
people doing it at once, changes the row once. `check_*` functions validate and check access
before the `object_*` functions change anything; views, admin actions, management commands
and Celery tasks all call these same functions.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from objects.imaging import ImageRejected, Limits, phash_distance, sanitise
from objects.media import media_delete_private, media_publish, media_unpublish, private_storage
from objects.models import (
    Case,
    ObjectCodeCounter,
    ObjectState,
    Outcome,
    Resemblance,
    TracedObject,
)
from outbox.services import outbox_put
from traceobject import metrics
from traceobject.mail import mail_once, site_link
from traceobject.pagecache import page_cache_bump

# An upload still in draft after this long lost its task (broker or worker outage).
STALLED_INTAKE_MINUTES = 10
# Intake runs a draft may start. A run that never finishes (the worker killed by the kernel's
# OOM killer or a decoder crash) comes back through late acknowledgement and the stalled-intake
# job; past this many starts the draft fails instead of taking the worker down again.
MAX_INTAKE_ATTEMPTS = 3


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


def intake_limits() -> Limits:
    return Limits(
        max_bytes=settings.OBJECT_MAX_UPLOAD_MB * 1024 * 1024,
        max_pixels=settings.OBJECT_MAX_MEGAPIXELS * 1_000_000,
    )


# --- Cases ------------------------------------------------------------------------------


def case_create(*, reference: str, title: str, owners: list[User], by: User) -> Case:
    """A new case, owned by `owners` and by its creator (or it would vanish from their own
    list: investigators see only the cases they own). A superuser need not own it."""
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


def _intake_store(upload: BinaryIO, max_bytes: int) -> Path:
    """Copy the upload to a server-named file in INTAKE_ROOT, refusing it past the size cap."""
    intake_root = Path(settings.INTAKE_ROOT)
    intake_root.mkdir(parents=True, exist_ok=True)
    path = intake_root / f"{secrets.token_hex(16)}.upload"
    written = 0
    try:
        with open(path, "xb") as target:
            while chunk := upload.read(1024 * 1024):
                written += len(chunk)
                if written > max_bytes:
                    raise ImageRejected(
                        f"file is larger than {max_bytes // (1024 * 1024)} MB, the limit"
                    )
                target.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if written == 0:
        path.unlink()
        raise ImageRejected("file is empty")
    return path


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
    path = _intake_store(upload, intake_limits().max_bytes)
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


def intake_queue(*, object_id: int) -> None:
    """Queue the intake through the outbox, relayed once the caller's transaction commits."""
    outbox_put(task="objects.tasks.intake_object", kwargs={"object_id": object_id})


def object_intake(*, object_id: int) -> TracedObject:
    """Sanitise a draft's upload into its derivatives, kept in the private folder until the
    object is published (objects/media.py). Safe to run twice."""
    obj = TracedObject.objects.get(pk=object_id)
    if obj.state != ObjectState.DRAFT:
        return obj  # already processed
    # Counted and committed before the image is opened, so a run that dies still counts.
    TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
        intake_attempts=F("intake_attempts") + 1
    )
    obj.refresh_from_db(fields=["intake_attempts"])
    if obj.intake_attempts > MAX_INTAKE_ATTEMPTS:
        _intake_fail(
            obj,
            f"processing stopped before finishing {MAX_INTAKE_ATTEMPTS} times (the image may "
            "crash the decoder); save it again as PNG or JPEG and upload it again",
        )
        return obj
    upload = Path(settings.INTAKE_ROOT) / obj.intake_path
    if not obj.intake_path or not upload.exists():
        _intake_fail(obj, "the uploaded file was lost before processing; upload it again")
        return obj
    try:
        image = sanitise(upload, intake_limits())
    except ImageRejected as exc:
        _intake_fail(obj, str(exc))
        return obj
    token = secrets.token_hex(16)
    saved: list[str] = []
    storage = private_storage()
    try:
        saved.append(storage.save(f"objects/{token}.jpg", ContentFile(image.display)))
        saved.append(storage.save(f"objects/thumbs/{token}.jpg", ContentFile(image.thumbnail)))
        updated = TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
            state=ObjectState.AWAITING_APPROVAL,
            display=saved[0],
            display_width=image.display_size[0],
            display_height=image.display_size[1],
            thumbnail=saved[1],
            thumbnail_width=image.thumbnail_size[0],
            thumbnail_height=image.thumbnail_size[1],
            phash=image.phash,
            intake_path="",
            updated_at=timezone.now(),
        )
    except BaseException:
        media_delete_private(saved)
        raise
    if not updated:  # another run finished first: keep its files, not ours
        media_delete_private(saved)
    upload.unlink(missing_ok=True)
    obj.refresh_from_db()
    if updated:
        resemblances_record(obj=obj)
    return obj


def _intake_fail(obj: TracedObject, reason: str) -> None:
    metrics.INTAKE_FAILURES.inc()
    TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
        state=ObjectState.FAILED,
        failure_reason=reason[:300],
        intake_path="",
        updated_at=timezone.now(),
    )
    if obj.intake_path:
        (Path(settings.INTAKE_ROOT) / obj.intake_path).unlink(missing_ok=True)
    obj.refresh_from_db()


def intake_requeue_stalled() -> int:
    """Queue again the drafts whose intake task was lost after it left the outbox (a worker
    or broker that lost it); return how many."""
    cutoff = timezone.now() - timedelta(minutes=STALLED_INTAKE_MINUTES)
    stalled = list(
        TracedObject.objects.filter(state=ObjectState.DRAFT, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        for object_id in stalled:
            intake_queue(object_id=object_id)
    return len(stalled)


def resemblances_record(*, obj: TracedObject) -> list[Resemblance]:
    """List every other crop, in any case, whose perceptual hash is close to this one's, and
    queue a mail to the owners of each other case concerned (resemblance_notify)."""
    threshold = settings.OBJECT_RESEMBLANCE_THRESHOLD
    others = (
        TracedObject.objects.exclude(pk=obj.pk)
        .exclude(phash="")
        .values_list("pk", "phash", "case_id")
    )
    found, other_cases = [], []
    for pk, phash, case_id in others.iterator():
        if (distance := phash_distance(obj.phash, phash)) <= threshold:
            found.append(Resemblance(new=obj, existing_id=pk, distance=distance))
            if case_id != obj.case_id:
                other_cases.append(pk)
    with transaction.atomic():
        Resemblance.objects.bulk_create(found, ignore_conflicts=True)
        for existing_id in other_cases:
            outbox_put(
                task="objects.tasks.notify_resemblance",
                kwargs={"new_id": obj.pk, "existing_id": existing_id},
            )
    return found


def object_admin_link(object_id: int) -> str:
    return site_link(reverse("admin:objects_tracedobject_change", args=[object_id]))


def resemblance_notify(*, new_id: int, existing_id: int) -> int:
    """Mail the owners of the existing object's case that a crop in another case looks like
    it; return how many were mailed. Once per resemblance: it is claimed before sending and
    released if the mail fails (the task retries).

    The mail links to their own object only: nothing about the other case (its reference,
    the new object's code or text), which they may not see. Owners of both cases, and the
    uploader, learn of it on the object's page and are not mailed.
    """
    row = (
        Resemblance.objects.select_related("new", "existing")
        .filter(new_id=new_id, existing_id=existing_id)
        .first()
    )
    if row is None or row.new.case_id == row.existing.case_id:
        return 0
    recipients = sorted(
        {
            email
            for email in row.existing.case.owners.filter(is_active=True)
            .exclude(pk=row.new.uploaded_by_id)
            .exclude(owned_cases=row.new.case_id)
            .values_list("email", flat=True)
            if email
        }
    )
    if not recipients:
        return 0
    sent = mail_once(
        rows=Resemblance.objects.filter(pk=row.pk),
        field="notified_at",
        claimed_at=timezone.now(),
        subject=f"[{settings.PORTAL_NAME}] A crop in another case looks like one of yours",
        body=(
            "A crop uploaded in another case looks like this object of your case:\n\n"
            f"{object_admin_link(row.existing_id)}\n\n"
            "Its page lists the resemblance. This mail names nothing of the other case on "
            "purpose; to compare notes, ask the victim-identification team's coordinator."
        ),
        to=recipients,
    )
    return len(recipients) if sent else 0


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
    updated = current.update(
        state=ObjectState.PUBLISHED, approved_by=by, published_at=now, updated_at=now
    )
    if not updated:
        obj.refresh_from_db()
        if not obj.is_public:
            media_unpublish(obj=obj)
        raise TransitionError(
            _("%(code)s was changed by someone else meanwhile.") % {"code": obj.code}
        )
    obj.refresh_from_db()
    _public_pages_changed()
    log_action("object.approved", user=by, target=obj, data={"checklist": "confirmed"})
    log_action("object.published", user=by, target=obj)
    return obj


def object_update_details(*, obj: TracedObject, by: User, details: dict[str, Any]) -> TracedObject:
    """Change the public text while the object is not yet public (never silently after)."""
    _check_owns_case(obj=obj, by=by, action=_("edit"))
    allowed = {"title", "category", "questions", "region_hint", "alt_text", "translations"}
    if set(details) - allowed:
        raise ValueError(f"not editable: {sorted(set(details) - allowed)}")
    if "translations" in details:
        details = {**details, "translations": translations_clean(details["translations"])}
    updated = TracedObject.objects.filter(pk=obj.pk, state__in=EDITABLE_STATES).update(
        **details, updated_at=timezone.now()
    )
    if not updated:
        raise TransitionError(
            _("%(code)s was published or retired meanwhile; its text was not changed.")
            % {"code": obj.code}
        )
    obj.refresh_from_db()
    _public_pages_changed()
    log_action("object.edited", user=by, target=obj, data={"fields": sorted(details)})
    return obj


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
    retired = (
        TracedObject.objects.filter(pk=obj.pk)
        .exclude(state=ObjectState.RETIRED)
        .exclude(state=ObjectState.DRAFT)
        .update(state=ObjectState.RETIRED, retired_at=now, updated_at=now)
    )
    obj.refresh_from_db()
    if obj.state == ObjectState.RETIRED:
        # Nothing of a retired object stays public; staff still see the private images.
        media_unpublish(obj=obj)
    if retired:
        _public_pages_changed()
        log_action("object.retired", user=by, target=obj)
    if obj.state == ObjectState.DRAFT:
        raise TransitionError(
            _("%(code)s is still being processed; retire it once it is done.") % {"code": obj.code}
        )
    return obj


def intake_root_clear_orphans() -> int:
    """Delete uploads no draft points at (left by a crash between the update and unlink)."""
    root = Path(settings.INTAKE_ROOT)
    if not root.exists():
        return 0
    wanted = set(
        TracedObject.objects.filter(state=ObjectState.DRAFT).values_list("intake_path", flat=True)
    )
    # Young files may belong to a draft whose transaction has not committed yet.
    cutoff = time.time() - STALLED_INTAKE_MINUTES * 60
    removed = 0
    for entry in root.iterdir():
        if entry.is_file() and entry.name not in wanted and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
