"""Put every object's images where its state says: privately always, publicly only while
published or identified (objects/media.py).

Run once after upgrading from a version that kept every image in MEDIA_ROOT (unpublished
and retired ones too): it copies each object's files into PRIVATE_MEDIA_ROOT and deletes
the public copies of objects that are not public. Idempotent, so docker-compose.yml's
`migrate` service and `bin/serve` run it on every start. Exits 1 if a file is in neither
folder. It also stores the display image's SHA-256 where the intake did not (older objects).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from objects.media import display_digest_fill, media_sync
from objects.models import TracedObject


class Command(BaseCommand):
    help = "Keep public copies of published and identified objects' images only."

    def handle(self, *args: Any, **options: Any) -> None:
        counts: Counter[str] = Counter()
        missing = []
        with_images = TracedObject.objects.exclude(display="", thumbnail="").only(
            "pk", "code", "state", "display", "thumbnail", "display_sha256"
        )
        for obj in with_images.iterator():
            result = media_sync(obj=obj)
            display_digest_fill(obj=obj)  # after media_sync: the private copy now exists
            counts[result] += 1
            if result == "missing":
                missing.append(obj.code)
        self.stdout.write(
            f"{counts['public']} public, {counts['private']} private only, "
            f"{counts['missing']} with a missing file."
        )
        if missing:
            raise CommandError(f"files missing for: {', '.join(missing)}")
