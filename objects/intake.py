"""The intake of an upload, after object_submit: the worker's sanitising step, the beat jobs
that requeue lost drafts and clear orphan files, and the resemblances a new crop has."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from objects.imaging import ImageRejected, Limits, phash_distance, sanitise
from objects.media import media_delete_private, media_publish, private_storage, public_storage
from objects.models import PUBLIC_STATES, ObjectState, Resemblance, TracedObject
from outbox.services import outbox_put
from traceobject import metrics
from traceobject.mail import mail_once, site_link

# An upload still in draft after this long lost its task (broker or worker outage).
STALLED_INTAKE_MINUTES = 10
# Intake runs a draft may start. A run that never finishes (the worker killed by the kernel's
# OOM killer or a decoder crash) comes back through late acknowledgement and the stalled-intake
# job; past this many starts the draft fails instead of taking the worker down again.
MAX_INTAKE_ATTEMPTS = 3
_EXHAUSTED = (
    f"processing stopped before finishing {MAX_INTAKE_ATTEMPTS} times (the image may crash the "
    "decoder); save it again as PNG or JPEG and upload it again"
)


def intake_limits() -> Limits:
    return Limits(
        max_bytes=settings.OBJECT_MAX_UPLOAD_MB * 1024 * 1024,
        max_pixels=settings.OBJECT_MAX_MEGAPIXELS * 1_000_000,
    )


def intake_store(upload: BinaryIO, max_bytes: int) -> Path:
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


def intake_queue(*, object_id: int) -> None:
    """Queue the intake through the outbox, relayed once the caller's transaction commits."""
    outbox_put(task="objects.tasks.intake_object", kwargs={"object_id": object_id})


def object_intake(*, object_id: int) -> TracedObject:
    """Sanitise a draft's upload into its derivatives, kept in the private folder until the
    object is published (objects/media.py). Safe to run twice."""
    obj = TracedObject.objects.get(pk=object_id)
    if obj.state != ObjectState.DRAFT:
        return obj  # already processed
    # Counted and committed before the image is opened, so a run that dies still counts. The
    # run past the limit fails in the same statement: no moment where it is a draft over it.
    exhausted = Q(intake_attempts__gte=MAX_INTAKE_ATTEMPTS)
    TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
        intake_attempts=F("intake_attempts") + 1,
        state=Case(When(exhausted, then=Value(ObjectState.FAILED)), default=F("state")),
        failure_reason=Case(When(exhausted, then=Value(_EXHAUSTED)), default=F("failure_reason")),
        updated_at=Case(When(exhausted, then=Value(timezone.now())), default=F("updated_at")),
        intake_path=Case(When(exhausted, then=Value("")), default=F("intake_path")),
    )
    # Not intake_path: a run that failed here still knows which upload to remove.
    obj.refresh_from_db(fields=["intake_attempts", "state", "failure_reason", "updated_at"])
    if obj.state == ObjectState.FAILED:
        metrics.INTAKE_FAILURES.inc()
        _intake_discard(obj)
        return obj
    if obj.state != ObjectState.DRAFT:
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
    # Ours waits for a second investigator; a partner's takes the state its owner gave it.
    after = ObjectState.AWAITING_APPROVAL if obj.is_ours else obj.owner_state
    try:
        saved.append(storage.save(f"objects/{token}.jpg", ContentFile(image.display)))
        saved.append(storage.save(f"objects/thumbs/{token}.jpg", ContentFile(image.thumbnail)))
        if after in PUBLIC_STATES:
            # Public copies first, as object_approve makes them: a page never lacks its image.
            obj.display.name, obj.thumbnail.name = saved
            media_publish(obj=obj)
        updated = TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
            state=after,
            display=saved[0],
            display_width=image.display_size[0],
            display_height=image.display_size[1],
            display_sha256=hashlib.sha256(image.display).hexdigest(),
            thumbnail=saved[1],
            thumbnail_width=image.thumbnail_size[0],
            thumbnail_height=image.thumbnail_size[1],
            phash=image.phash,
            intake_path="",
            updated_at=timezone.now(),
        )
    except BaseException:
        _delete_both(saved)
        raise
    if not updated:  # another run finished first: keep its files, not ours
        _delete_both(saved)
    upload.unlink(missing_ok=True)
    obj.refresh_from_db()
    if updated:
        resemblances_record(obj=obj)
    return obj


def _delete_both(names: list[str]) -> None:
    media_delete_private(names)
    for name in names:
        public_storage().delete(name)


def _intake_fail(obj: TracedObject, reason: str) -> None:
    metrics.INTAKE_FAILURES.inc()
    TracedObject.objects.filter(pk=obj.pk, state=ObjectState.DRAFT).update(
        state=ObjectState.FAILED,
        failure_reason=reason[:300],
        intake_path="",
        updated_at=timezone.now(),
    )
    _intake_discard(obj)


def _intake_discard(obj: TracedObject) -> None:
    """Remove the upload of a draft that has just failed (its row no longer names it)."""
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
    owners = row.existing.case.owners.filter(is_active=True)
    if row.new.uploaded_by_id is not None:  # None: a partner's object (objects/partners.py)
        owners = owners.exclude(pk=row.new.uploaded_by_id)
    recipients = sorted(
        {
            email
            for email in owners.exclude(owned_cases=row.new.case_id).values_list("email", flat=True)
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
