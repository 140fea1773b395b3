"""`manage.py backup`: one encrypted archive of the database and private images in
BACKUP_DIR, then the archives older than BACKUP_RETENTION_DAYS deleted (operations/backups.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from operations.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and private media, encrypted with BACKUP_KEY; expire old ones."

    def handle(self, *args, **options) -> None:
        try:
            report = backup_create()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup: {report.path} ({report.rows} rows, {report.media_files} private images)"
        )
        for path in report.expired:
            self.stdout.write(f"expired: {path.name} (older than BACKUP_RETENTION_DAYS)")
