"""Demo data for a local try-out: staff accounts with known passwords and backup codes, and
demo objects.

Idempotent: every row is looked up by a natural key first, so running it twice creates
nothing twice. It refuses to run without DEBUG, because its passwords are printed and public.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from moderation.demo import DEMO_BACKUP_CODES, DEMO_STAFF, demo_person, demo_staff_ensure
from objects.demo import DEMO_CASE, demo_objects_ensure
from tips.demo import demo_tips_ensure


class Command(BaseCommand):
    help = "Load demo staff and demo objects (local development only; needs DEBUG=true)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with published passwords: it runs only with DEBUG=true"
            )
        with transaction.atomic():
            staff = demo_staff_ensure()
            objects = demo_objects_ensure(
                uploader=demo_person("demo-investigator-1"),
                approver=demo_person("demo-investigator-2"),
            )
            tips = demo_tips_ensure()
        self.stdout.write(
            f"Demo data: {staff} staff, {objects} objects and {tips} tips created"
            f" (case {DEMO_CASE});"
            " anything already there was left alone."
        )
        self.stdout.write(
            "Demo logins for the back office (local only). Enter the code as the OTP token;"
            f" each code works once, {DEMO_BACKUP_CODES[1]} to {DEMO_BACKUP_CODES[-1]} are"
            " spares, and the next seed_demo (or make run) restores them all:"
        )
        for person in DEMO_STAFF:
            self.stdout.write(
                f"  {person.username:<20} password: {person.password:<31}"
                f" code: {DEMO_BACKUP_CODES[0]}  ({person.role})"
            )
