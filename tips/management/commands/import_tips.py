"""`manage.py import_tips PATH.jsonl [--object CODE]`: tips from other channels (a hotline,
mail, partner agencies), one JSON object per line, grouped and tallied before it returns."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_countries import countries
from tqdm import tqdm

from objects.models import TracedObject
from tips.services import TipContent, tip_import
from tips.text import clean_text

MAX_BODY = 5000
MAX_WHERE = 500
MAX_LINKS = 20
MAX_LINK = 500
DEFAULT_SOURCE = "import"
BATCH = 200  # tips a transaction


class LineError(ValueError):
    pass


@dataclass(frozen=True)
class ImportedTip:
    traced_object: TracedObject
    content: TipContent
    language: str
    received_at: datetime
    source: str
    ref: str


def _text(record: dict, key: str, limit: int, *, multiline: bool = False) -> str:
    value = record.get(key) or ""
    if not isinstance(value, str):
        raise LineError(f"{key!r} must be a string")
    value = clean_text(value, multiline=multiline)
    if len(value) > limit:
        raise LineError(f"{key!r} is longer than {limit} characters")
    return value


def _received_at(value: object) -> datetime:
    if value in (None, ""):
        return timezone.now()
    if not isinstance(value, str):
        raise LineError("'received_at' must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise LineError(f"'received_at' is not ISO 8601: {value[:40]!r}") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)  # a time without a zone is taken as UTC
    return moment


def _links(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(link, str) for link in value):
        raise LineError("'links' must be a list of strings")
    if len(value) > MAX_LINKS or any(len(link) > MAX_LINK for link in value):
        raise LineError(f"at most {MAX_LINKS} links of {MAX_LINK} characters each")
    return [clean_text(link, multiline=False) for link in value if link.strip()]


class Command(BaseCommand):
    help = "Import tips from other channels (JSON Lines) and group them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a .jsonl file, one tip per line")
        parser.add_argument("--object", dest="code", help="the object code for lines without one")

    def handle(self, *args: Any, path: str, code: str | None, **options: Any) -> None:
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{source} is not a file")
        lines = source.read_text(encoding="utf-8").splitlines()
        self.objects: dict[str, TracedObject | None] = {}
        imported = known = 0
        failures = []
        stream = getattr(self.stderr, "_out", sys.stderr)  # the bar writes carriage returns
        with tqdm(total=len(lines), unit="tip", file=stream, desc="Importing") as bar:
            for start in range(0, len(lines), BATCH):
                # One transaction per batch: a commit per tip would cost more than grouping it.
                with transaction.atomic():
                    for number, line in enumerate(lines[start : start + BATCH], start=start + 1):
                        bar.update(1)
                        if not line.strip():
                            continue
                        try:
                            tip = self.parse(line, default_code=code)
                        except LineError as exc:
                            failures.append(f"FAILED line {number}: {exc}")
                            bar.clear()
                            self.stdout.write(failures[-1])
                            continue
                        created = tip_import(
                            traced_object=tip.traced_object,
                            content=tip.content,
                            language=tip.language,
                            received_at=tip.received_at,
                            source=tip.source,
                            ref=tip.ref,
                        )
                        imported, known = imported + bool(created), known + (created is None)
        self.stdout.write(
            f"Imported {imported} tips, grouped; {known} were already here; "
            f"{len(failures)} lines failed."
        )
        if failures:
            sys.exit(1)

    def parse(self, line: str, *, default_code: str | None) -> ImportedTip:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LineError(f"not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise LineError("not a JSON object")
        body = _text(record, "body", MAX_BODY, multiline=True)
        if not body:
            raise LineError("'body' is required")
        country = _text(record, "country", 2).upper()
        if country and country not in dict(countries):
            raise LineError(f"'country' is not an ISO 3166 alpha-2 code: {country!r}")
        return ImportedTip(
            traced_object=self.traced_object(record.get("object") or default_code),
            content=TipContent(
                body=body,
                country=country,
                where=_text(record, "where", MAX_WHERE),
                links=_links(record.get("links")),
            ),
            language=_text(record, "language", 10),
            received_at=_received_at(record.get("received_at")),
            source=_text(record, "source", 40) or DEFAULT_SOURCE,
            ref=_text(record, "ref", 100),
        )

    def traced_object(self, code: object) -> TracedObject:
        if not code or not isinstance(code, str):
            raise LineError("no 'object' code (and no --object)")
        if code not in self.objects:
            self.objects[code] = TracedObject.objects.filter(code=code).first()
        found = self.objects[code]
        if found is None:
            raise LineError(f"no object with the code {code!r}")
        return found
