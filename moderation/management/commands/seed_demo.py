"""Demo data for a local try-out: staff accounts with known passwords, and demo content.

Idempotent: every row is looked up by a natural key first, so running it twice creates
nothing twice. It refuses to run without DEBUG, because its passwords are printed and public.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from moderation.demo import DEMO_STAFF, demo_staff_ensure


class Command(BaseCommand):
    help = "Load demo staff and demo objects (local development only; needs DEBUG=true)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with published passwords: it runs only with DEBUG=true"
            )
        with transaction.atomic():
            created = demo_staff_ensure()
        self.stdout.write(
            f"Demo staff: {created} created, {len(DEMO_STAFF) - created} already there."
        )
        self.stdout.write("Demo logins (local only):")
        for person in DEMO_STAFF:
            self.stdout.write(
                f"  {person.username:<20} password: {person.password}   ({person.role})"
            )
