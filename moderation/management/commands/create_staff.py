"""Create or update a staff account with a role, and print a one-time password."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from moderation.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = "Create (or update) a staff account with a role and print a one-time password."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_GROUPS))
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, role: str, email: str, **options) -> None:
        User = get_user_model()
        try:
            User.username_validator(username)
            if email:
                validate_email(email)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        password = secrets.token_urlsafe(15)
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            user.is_staff = True
            if email:
                user.email = email
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        self.stdout.write(f"{'Created' if created else 'Updated'} {username} ({role}).")
        self.stdout.write(f"password: {password}")
        self.stdout.write("Give this password to its owner privately; it replaces any earlier one.")
