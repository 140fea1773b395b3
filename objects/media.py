"""Where an object's images live: in PRIVATE_MEDIA_ROOT always (staff see them through
objects/backoffice/image.py), in MEDIA_ROOT only while the object is public, under the same
relative name (docs/architecture.md, "Object images")."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage

from objects.models import TracedObject


def private_storage() -> FileSystemStorage:
    """Read from settings on each call, so a changed PRIVATE_MEDIA_ROOT (tests) is seen."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def public_storage() -> Storage:
    return default_storage


def image_names(obj: TracedObject) -> list[str]:
    return [name for name in (obj.display.name, obj.thumbnail.name) if name]


def _copy(name: str, *, source: Storage, target: Storage) -> bool:
    """Copy `name` unless `target` has it; True when the target has it afterwards."""
    if target.exists(name):
        return True
    if not source.exists(name):
        return False
    with source.open(name, "rb") as content:
        saved = target.save(name, content)
    if saved != name:  # someone else copied it meanwhile: theirs is the same file
        target.delete(saved)
    return True


def media_publish(*, obj: TracedObject) -> None:
    """Copy the object's private images to the public folder (idempotent)."""
    for name in image_names(obj):
        _copy(name, source=private_storage(), target=public_storage())


def media_unpublish(*, obj: TracedObject) -> None:
    """Delete the public copies of the object's images (idempotent); the private ones stay."""
    for name in image_names(obj):
        public_storage().delete(name)


def media_delete_private(names: list[str]) -> None:
    for name in names:
        private_storage().delete(name)


def media_sync(*, obj: TracedObject) -> str:
    """Bring one object's files in line with its state (the `sync_object_media` command).

    Files from before the private folder existed are in MEDIA_ROOT only: they are first
    copied to the private folder, then the public copies are kept only if it is public.
    Returns what was done: "public", "private" or "missing" (a file is in neither folder).
    """
    found = all(
        _copy(name, source=public_storage(), target=private_storage()) for name in image_names(obj)
    )
    if obj.is_public:
        media_publish(obj=obj)
    else:
        media_unpublish(obj=obj)
    if not found:
        return "missing"
    return "public" if obj.is_public else "private"


def display_digest_fill(*, obj: TracedObject) -> bool:
    """Store the display file's SHA-256 where the intake did not (objects from before the
    field existed); True when one was written. The feeds publish it (objects/feeds.py)."""
    if obj.display_sha256 or not obj.display.name:
        return False
    storage = private_storage()
    if not storage.exists(obj.display.name):
        return False
    digest = hashlib.sha256()
    with storage.open(obj.display.name, "rb") as content:
        for chunk in iter(lambda: content.read(1 << 16), b""):
            digest.update(chunk)
    obj.display_sha256 = digest.hexdigest()
    TracedObject.objects.filter(pk=obj.pk, display_sha256="").update(
        display_sha256=obj.display_sha256
    )
    return True
