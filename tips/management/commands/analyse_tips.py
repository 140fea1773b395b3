"""`manage.py analyse_tips CODE [--format text|json] [--regroup]`: an object's evidence board."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from objects.models import TracedObject
from tips.evidence import object_board
from tips.grouping import tips_regroup

SHOWN = 15  # groups and claims listed in the text format


class Command(BaseCommand):
    help = "Print an object's groups of similar tips and its claims, the strongest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the object's public code, e.g. TAO-2026-0042")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--regroup",
            action="store_true",
            help="rebuild the groups, the similarity index and the claims first",
        )

    def handle(self, *args: Any, code: str, format: str, regroup: bool, **options: Any) -> None:
        traced_object = TracedObject.objects.filter(code=code).first()
        if traced_object is None:
            raise CommandError(f"no object with the code {code!r}")
        if regroup:
            count = tips_regroup(traced_object=traced_object)
            self.stderr.write(f"Regrouped {count} tips.")
        board = object_board(traced_object=traced_object)
        if format == "json":
            self.stdout.write(json.dumps(board, ensure_ascii=False, indent=1))
        else:
            self.stdout.write(self.as_text(board))

    def as_text(self, board: dict) -> str:
        groups = board["groups"]
        lines = [f"{board['object']}: {board['tips']} tips in {len(groups)} groups", ""]
        for label, key in (("Countries", "countries"), ("Domains", "domains"), ("Names", "names")):
            lines.append(f"{label} (score, groups, tips):")
            for entry in board[key][:SHOWN]:
                value = entry[key[:-1] if key != "countries" else "country"]
                lines.append(
                    f"  {value:<30} {entry['score']:>6}  {entry['groups']:>5}  {entry['tips']:>6}"
                )
            lines.append("")
        lines.append("Places (score, groups, tips; ? uncertain):")
        for entry in board["places"][:SHOWN]:
            place = f"{entry['name']}, {entry['country']}{' ?' if entry['uncertain'] else ''}"
            lines.append(
                f"  {place:<30} {entry['score']:>6}  {entry['groups']:>5}  {entry['tips']:>6}"
            )
        lines.append("")
        lines.append("Groups (largest first):")
        for group in groups[:SHOWN]:
            flood = f" FLOOD ({group['flood_state']})" if group["flood"] else ""
            lines.append(
                f"  #{group['id']} {group['size']} tips{flood}, {group['first_at']} to "
                f"{group['last_at']}, {','.join(group['languages']) or '?'}: {group['sample'][:90]}"
            )
        if len(groups) > SHOWN:
            lines.append(f"  … and {len(groups) - SHOWN} more groups")
        return "\n".join(lines)
