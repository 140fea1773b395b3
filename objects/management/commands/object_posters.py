"""Print objects' posters to PDF: one file per object and language (objects/posters.py).

    manage.py object_posters TAO-2026-0042 --lang fr --out posters/
    manage.py object_posters TAO-2026-0042 TAO-2026-0043 --size a3 --out posters/

Without --lang, every language of settings.LANGUAGES. Needs Chromium and Playwright's
Python package; where they are missing it says how to get them and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from objects.models import ObjectState, TracedObject
from objects.posters import POSTER_SIZES, posters_print


class Command(BaseCommand):
    help = "Write print-ready PDF posters of published objects, one per language."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="+", metavar="CODE")
        parser.add_argument(
            "--lang",
            action="append",
            choices=[code for code, _name in settings.LANGUAGES],
            help="a language (repeatable); default: every language",
        )
        parser.add_argument("--size", choices=POSTER_SIZES, default="a4")
        parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PDFs")

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["codes"]
        published = set(
            TracedObject.objects.filter(code__in=codes, state=ObjectState.PUBLISHED).values_list(
                "code", flat=True
            )
        )
        unknown = [code for code in codes if code not in published]
        if unknown:
            raise CommandError(f"not published (no poster): {', '.join(unknown)}")
        languages = options["lang"] or [code for code, _name in settings.LANGUAGES]
        try:
            paths = posters_print(
                codes=codes, languages=languages, size=options["size"], out=options["out"]
            )
        except (RuntimeError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        for path in paths:
            self.stdout.write(str(path))
