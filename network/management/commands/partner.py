from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from network import keys
from network.models import Partner
from network.refused import Refused
from network.services import PartnerError, partner_add, partner_remove


class Command(BaseCommand):
    help = "Add, list or remove partner portals (docs/network.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a partner by origin and key fingerprint")
        add.add_argument("origin")
        add.add_argument("fingerprint", nargs="+", help="64 hex digits; spaces and colons ignored")
        add.add_argument("--name", default="")
        actions.add_parser("list", help="every partner, with its state")
        remove = actions.add_parser("remove", help="cut a partner off at once")
        remove.add_argument("origin")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            try:
                partner = partner_add(
                    origin=options["origin"],
                    fingerprint="".join(options["fingerprint"]),
                    name=options["name"],
                )
            except PartnerError as error:
                raise CommandError(str(error)) from None
            except Refused as refused:
                raise CommandError(f"refused: {refused.reason}") from None
            self.stdout.write(f"added {partner.name} ({partner.origin})")
        elif action == "list":
            for partner in Partner.objects.order_by("origin"):
                state = "active" if partner.active else "removed"
                self.stdout.write(
                    f"{partner.origin}\t{state}\t{partner.name}\t"
                    f"{keys.fingerprint_grouped(partner.fingerprint)}\t"
                    f"last poll {partner.last_poll_at or '-'}\tfailures {partner.failures}"
                )
        else:
            try:
                origin = keys.origin_of(options["origin"])
                partner = Partner.objects.get(origin=origin)
            except (ValueError, Partner.DoesNotExist):
                raise CommandError(f"no partner at {options['origin']}") from None
            removed = partner_remove(partner=partner)
            self.stdout.write(f"removed {origin}" if removed else f"{origin} was already removed")
