from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from network import keys


class Command(BaseCommand):
    help = (
        "Print a fresh signing and encryption key as environment lines, with the fingerprint "
        "partners pin; --show prints this portal's own fingerprint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--show", action="store_true", help="our keys' fingerprints")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["show"]:
            if not keys.network_enabled():
                raise CommandError("the network is off: NETWORK_SIGNING_KEYS is not set")
            self.stdout.write(f"origin {keys.our_origin()}")
            for position, public in enumerate(keys.signing_public_keys()):
                label = "fingerprint" if position == 0 else "also accepted"
                self.stdout.write(f"{label} {keys.fingerprint_grouped(keys.fingerprint(public))}")
            return
        fresh = keys.keys_generate()
        public = keys.b64(
            bytes(keys.SigningKey(keys.base64.b64decode(fresh["signing"])).verify_key)
        )
        # Only the fresh keys: the current ones stay where they are kept, never on a screen.
        self.stdout.write(
            "# To rotate: add these after the current keys; once every partner has refreshed "
            "(a day), move them first; remove the old ones a day later (docs/network.md)."
        )
        self.stdout.write(f"NETWORK_SIGNING_KEYS={fresh['signing']}")
        self.stdout.write(f"NETWORK_ENCRYPTION_KEYS={fresh['encryption']}")
        self.stdout.write(f"# fingerprint {keys.fingerprint_grouped(keys.fingerprint(public))}")
