"""`manage.py restore ARCHIVE`: into a freshly created database and an empty
PRIVATE_MEDIA_ROOT; then migrate, rebuild the public images and run the retention job at
once, so nothing the schedule would have deleted by now survives the restore."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from operations.backups import BackupError, backup_restore
from tips.services import retention_apply
from traceobject.pagecache import page_cache_bump


class Command(BaseCommand):
    help = (
        "Restore a backup archive into a fresh database and media folder (see docs/operations.md)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive: Path, **options) -> None:
        try:
            report = backup_restore(path=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored: backup of {report.created_at:%Y-%m-%d %H:%M} UTC, {report.rows} rows "
            f"and {report.media_files} private images, all matching the archive"
        )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("sync_object_media", stdout=self.stdout)
        retention = asdict(retention_apply())
        self.stdout.write("retention: " + ", ".join(f"{k} {v}" for k, v in retention.items()))
        page_cache_bump()
