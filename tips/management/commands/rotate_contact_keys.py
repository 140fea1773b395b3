"""Re-encrypt every stored contact with the newest key, so an old key can be retired.

Each row is rewritten with a conditional update (only if its token is still the one read),
so a contact deleted by the retention job meanwhile is never written back. A token no
configured key opens is reported by tip id; the command carries on and exits 1 at the end.
"""

from __future__ import annotations

import sys
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tips.crypto import contact_reencrypt
from tips.models import Tip

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored contact with the first key of TIP_CONTACT_KEYS. To rotate "
        "the key: put the new key first in TIP_CONTACT_KEYS, keep the old one after it, run "
        "this command, then remove the old key. A contact no configured key can open is "
        "reported by tip id, and the command exits 1 after re-encrypting the rest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=BATCH, help=f"rows read at a time (default {BATCH})"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        reencrypted, unreadable = 0, []
        last_pk = 0
        while rows := self._batch(after=last_pk, size=batch_size):
            for pk, token in rows:
                try:
                    new_token = contact_reencrypt(token)
                except InvalidToken:
                    unreadable.append(pk)
                    self.stderr.write(f"FAILED tip #{pk}: no key in TIP_CONTACT_KEYS opens it")
                    continue
                except ValueError as exc:  # a malformed key in the setting, not in the data
                    raise CommandError(f"TIP_CONTACT_KEYS holds a malformed key: {exc}") from None
                reencrypted += Tip.objects.filter(pk=pk, contact_encrypted=token).update(
                    contact_encrypted=new_token
                )
            last_pk = rows[-1][0]
        self.stdout.write(
            f"Re-encrypted {reencrypted} contact(s) with the first key of TIP_CONTACT_KEYS; "
            f"{len(unreadable)} could not be opened."
        )
        if unreadable:
            self.stderr.write(
                "Put the key those contacts were encrypted with back into TIP_CONTACT_KEYS "
                "(after the first) and run this command again; until then they cannot be read."
            )
            sys.exit(1)
        self.stdout.write("Every stored contact now opens with the first key alone.")

    def _batch(self, *, after: int, size: int) -> list[tuple[int, str]]:
        return list(
            Tip.objects.exclude(contact_encrypted="")
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "contact_encrypted")[:size]
        )
