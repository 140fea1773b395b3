"""`manage.py tips_strength [CODE ...]`: count every group's strength from the evidence
again (tips/strength.py), object by object, each in its own transaction. Run once after the
upgrade that added it (migration tips 0017 leaves every tip at one voice); safe to repeat."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from objects.models import TracedObject
from tips.models import Tip
from tips.strength import object_strength_refresh


class Command(BaseCommand):
    help = "Count the strength of every group of tips again, object by object."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="only these objects (public codes)")

    def handle(self, *args: Any, codes: list[str], **options: Any) -> None:
        objects = TracedObject.objects.filter(
            pk__in=Tip.objects.exclude(traced_object=None).values("traced_object_id")
        )
        if codes:
            objects = objects.filter(code__in=codes)
        done = 0
        started = time.monotonic()
        for object_id in objects.order_by("pk").values_list("pk", flat=True):
            object_strength_refresh(object_id)
            done += 1
        self.stdout.write(f"{done} objects counted in {time.monotonic() - started:.1f} s")
