"""Create or update a staff account with a role, and print its credentials once.

Prints a one-time password, a new authenticator-app secret (as an otpauth:// URI and a QR
code drawn in the terminal) and 10 single-use backup codes. Running it again replaces all
three: the old password, app and backup codes stop working.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import qrcode
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import log_action
from moderation.roles import ROLE_GROUPS
from moderation.staff import role_changes_by

BACKUP_CODES = 10


def staff_role_set(*, user: Any, role: str) -> list[str]:
    """Put `user` in exactly the group of `role` (other, non-role groups stay); return the
    role groups they were in before."""
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    before = sorted(user.groups.filter(pk__in=role_groups).values_list("name", flat=True))
    user.groups.remove(*role_groups.exclude(name=ROLE_GROUPS[role]))
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    return before


def second_factors_replace(*, user: Any) -> tuple[TOTPDevice, list[str]]:
    """Delete the user's devices; give them a new authenticator app and backup codes."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # Confirmed at once: the person receives it from an administrator, not by self-enrolment.
    app = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return app, codes


def terminal_qr(data: str) -> str:
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    drawing = io.StringIO()
    # Inverted: light modules on a dark terminal read as dark on light to a camera.
    code.print_ascii(out=drawing, invert=True)
    return drawing.getvalue()


class Command(BaseCommand):
    help = (
        "Create (or update) a staff account with a role and print a one-time password, "
        "an authenticator-app QR code and backup codes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_GROUPS))
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, username: str, role: str, email: str, **options: Any) -> None:
        User = get_user_model()
        try:
            User.username_validator(username)
            if email:
                validate_email(email)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        password = secrets.token_urlsafe(15)
        # The role change (if any) is audited by moderation.staff, as from any other path.
        with transaction.atomic(), role_changes_by(via="create_staff"):
            user, created = User.objects.get_or_create(username=username)
            user.is_staff = True
            if email:
                user.email = email
            user.set_password(password)
            user.save()
            staff_role_set(user=user, role=role)
            app, codes = second_factors_replace(user=user)
            log_action("staff.credentials_issued", target=user, data={"by": "create_staff"})
        self.stdout.write(f"{'Created' if created else 'Updated'} {username} ({role}).")
        self.stdout.write(f"password: {password}")
        self.stdout.write(f"otpauth: {app.config_url}")
        self.stdout.write(terminal_qr(app.config_url))
        self.stdout.write(f"backup codes: {' '.join(codes)}")
        self.stdout.write(
            "Give these to their owner privately; they replace any earlier ones. At the back "
            "office login, enter the password and the 6-digit code of the authenticator app "
            "(scan the QR code or open the otpauth link), or one backup code (each works once)."
        )
