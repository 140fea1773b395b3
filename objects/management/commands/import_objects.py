"""Import a batch of crops: a folder of images, or a CSV manifest describing them.

Every file goes through the same intake as an upload in the back office (run here, in this
process, so the command can report each result). Good files end awaiting approval; each
failed file gets one line with its name and the reason; the command carries on past
failures and exits 1 if any file failed.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from objects.imaging import ImageRejected
from objects.intake import object_intake
from objects.models import TRANSLATED_FIELDS, Case, Category, ObjectState
from objects.services import ObjectDetails, case_ensure, object_submit
from traceobject.text import clean_text

MANIFEST_COLUMNS = ["file", "title", "category", "questions", "region_hint", "alt_text", "case"]
DEFAULT_QUESTIONS = "Do you recognise this object? Where is it sold or seen?"
# Manifest columns that may hold several lines; every other value is one line.
MULTILINE_COLUMNS = {"questions"}


@dataclass
class Row:
    path: Path
    name: str  # as the user wrote it, cleaned, for messages
    title: str = ""
    category: str = ""
    questions: str = ""
    region_hint: str = ""
    alt_text: str = ""
    case: str = ""
    # From optional columns such as title_fr or alt_text_de: {"fr": {"title": "…"}, …}
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def _translations(record: dict[str, str | None]) -> dict[str, dict[str, str]]:
    """The optional per-language columns (title_fr, questions_fr, region_hint_fr,
    alt_text_fr, … for every language of LANGUAGES but English)."""
    found: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        for name in TRANSLATED_FIELDS:
            value = _clean_value(name, record.get(f"{name}_{code}"))
            if value and code != settings.LANGUAGE_CODE:
                found.setdefault(code, {})[name] = value
    return found


class RowError(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import object crops from a folder of images or a CSV manifest with the columns "
        + ",".join(MANIFEST_COLUMNS)
        + " (file paths relative to the manifest). Missing titles default to the file name, "
        "missing alt text to the title, missing categories to 'other'. Imported objects "
        "await approval by a second investigator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a folder of images, or a .csv manifest")
        parser.add_argument("--case", help="case reference for rows without one (created if new)")
        parser.add_argument("--owner", help="username of the investigator the objects belong to")

    def handle(
        self, *args: Any, path: str, case: str | None, owner: str | None, **options: Any
    ) -> None:
        source = Path(path)
        uploader = self._owner(owner)
        rows = self._rows(source)
        if not rows:
            raise CommandError(f"{source} holds no files to import")
        if any(not (row.case or case) for row in rows):
            raise CommandError("--case is required for files that name no case")
        imported, failures = 0, []
        # The bar writes raw carriage returns, so it gets the stream under Django's wrapper.
        stream = getattr(self.stderr, "_out", sys.stderr)
        with tqdm(total=len(rows), unit="file", file=stream, desc="Importing") as bar:
            for row in rows:
                try:
                    self._import(row, default_case=case or "", uploader=uploader)
                    imported += 1
                except RowError as exc:
                    failures.append(f"FAILED {row.name}: {exc}")
                    bar.clear()
                    self.stdout.write(failures[-1])
                bar.update(1)
        self.stdout.write(
            f"Imported {imported} of {len(rows)} files; {len(failures)} failed. "
            "Imported objects await approval by a second investigator."
        )
        if failures:
            sys.exit(1)

    def _owner(self, username: str | None) -> User:
        if not username:
            raise CommandError("--owner is required: imported objects need an uploader")
        try:
            return get_user_model().objects.get(username=username, is_staff=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no staff account named {username!r}") from None

    def _rows(self, source: Path) -> list[Row]:
        if source.is_dir():
            files = sorted(
                p for p in source.iterdir() if p.is_file() and not p.name.startswith(".")
            )
            return [Row(path=p, name=_clean_line(p.name)) for p in files]
        if source.is_file() and source.suffix.lower() == ".csv":
            return self._manifest_rows(source)
        raise CommandError(f"{source} is neither a folder nor a .csv manifest")

    def _manifest_rows(self, manifest: Path) -> list[Row]:
        with open(manifest, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or [])
            if missing:
                raise CommandError(
                    f"{manifest.name} lacks the columns: {', '.join(sorted(missing))}"
                )
            return [
                Row(
                    path=manifest.parent / (record["file"] or "").strip(),
                    name=_clean_line(record["file"] or "") or f"row {number}",
                    **{key: _clean_value(key, record[key]) for key in MANIFEST_COLUMNS[1:]},
                    translations=_translations(record),
                )
                for number, record in enumerate(reader, start=2)
            ]

    def _import(self, row: Row, *, default_case: str, uploader: User) -> None:
        details = self._details(row)
        case = self._case(row.case or default_case, uploader)
        if not row.path.is_file():
            raise RowError("file not found")
        try:
            with open(row.path, "rb") as upload:
                obj = object_submit(
                    case=case,
                    uploaded_by=uploader,
                    upload=upload,
                    details=details,
                    queue_intake=False,
                )
        except ImageRejected as exc:
            raise RowError(str(exc)) from None
        obj = object_intake(object_id=obj.pk)
        if obj.state == ObjectState.FAILED:
            raise RowError(obj.failure_reason)

    def _details(self, row: Row) -> ObjectDetails:
        category = _category(row.category)
        title = (row.title or _clean_line(row.path.stem))[:120]
        return ObjectDetails(
            title=title,
            category=category,
            questions=(row.questions or DEFAULT_QUESTIONS)[:1000],
            alt_text=(row.alt_text or title)[:300],
            region_hint=row.region_hint[:80],
            translations=row.translations,
        )

    def _case(self, reference: str, uploader: User) -> Case:
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            return case_ensure(reference=reference, owner=uploader)
        if not (uploader.is_superuser or case.owners.filter(pk=uploader.pk).exists()):
            raise RowError(f"{uploader.username} is not an owner of case {reference}")
        return case


def _clean_line(value: str) -> str:
    """A file name or value as a terminal should show it: a direction override in a name
    ("gpj.exe" shown for "exe.jpg") or a control character would mislead whoever reads it."""
    return clean_text(value, multiline=False)


def _clean_value(column: str, value: str | None) -> str:
    return clean_text(value or "", multiline=column in MULTILINE_COLUMNS)


def _category(value: str) -> str:
    if not value:
        return Category.OTHER
    wanted = value.strip().lower()
    for choice, label in Category.choices:
        if wanted in (choice, str(label).lower()):
            return choice
    raise RowError(f"unknown category {value!r}; use one of: {', '.join(Category.values)}")
