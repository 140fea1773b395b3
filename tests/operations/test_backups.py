"""Backups that restore: a drill (load, back up, destroy, restore into a fresh database and
media folder, compare), and what a backup must never bring back."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from objects.services import object_submit
from operations import backups
from operations.backups import DecryptingReader, backup_create, media_checksums
from tests.factories import details, synthetic_png
from tests.faults.conftest import ROOT, database_url_of_the_test_database
from tips.models import Tip, TipStatus
from tips.services import TipContent, retention_apply, tip_receive

BACKUP_KEY = Fernet.generate_key().decode()


@pytest.fixture
def backup_settings(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEY = BACKUP_KEY
    return settings


def archive_members(path: Path) -> dict[str, bytes]:
    with (
        open(path, "rb") as source,
        tarfile.open(fileobj=DecryptingReader(source), mode="r|") as archive,
    ):
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}


def table_counts(dsn: str) -> dict[str, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (catalogue names)
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


def libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@pytest.fixture
def fresh_database(require_postgres):
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    admin_url = libpq(database_url_of_the_test_database()).rsplit("/", 1)[0] + "/postgres"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield database_url_of_the_test_database().rsplit("/", 1)[0] + f"/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_and_media_folder_with_everything_in_it(
    case, investigator, backup_settings, settings, fresh_database, tmp_path
):
    upload = object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(synthetic_png(seed=4)),
        details=details(),
    )
    kept = tip_receive(
        content=TipContent(body="Sold at the market in Gdansk.", contact="anna@example.org"),
        language="en",
        traced_object=upload,
    )
    old = tip_receive(
        content=TipContent(body="An old report.", contact="+48 600 100 200"), language="pl"
    )
    # Closed 31 days ago, its contact past retention: the daily job has not run yet.
    Tip.objects.filter(pk=old.tip.pk).update(
        status=TipStatus.CLOSED, closed_at=timezone.now() - timedelta(days=31)
    )
    source_url = database_url_of_the_test_database()
    counts_before = table_counts(libpq(source_url))
    media_before = media_checksums(Path(settings.PRIVATE_MEDIA_ROOT))
    assert len(media_before) == 2  # the intake's display image and thumbnail

    call_command("backup", stdout=io.StringIO())
    [archive] = list(Path(settings.BACKUP_DIR).glob("traceobject-*.backup"))
    members = archive_members(archive)
    assert set(members) >= {"manifest.json", "database.dump"}
    assert len([name for name in members if name.startswith("private-media/")]) == 2
    everything = b"".join(members.values()) + archive.read_bytes()
    for key in settings.TIP_CONTACT_KEYS:
        assert key.encode() not in everything
    assert b"anna@example.org" not in everything  # contacts only as Fernet tokens
    assert b"Gdansk" not in archive.read_bytes()  # the archive itself is encrypted

    # Destroy: the images are gone, the tips deleted.
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    Tip.objects.all().delete()

    restored_media = tmp_path / "restored-private-media"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "PRIVATE_MEDIA_ROOT": str(restored_media),
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "BACKUP_KEY": BACKUP_KEY,
        "TIP_CONTACT_KEYS": ",".join(settings.TIP_CONTACT_KEYS),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    done = manage("restore", str(archive), env=env)
    print(done.stdout, done.stderr[-2000:])
    assert done.returncode == 0

    counts_after = table_counts(libpq(fresh_database))
    assert counts_after == counts_before
    assert media_checksums(restored_media) == media_before
    assert "contacts_deleted 1" in done.stdout
    lookup = (
        "from tips.services import tip_by_receipt; from tips.crypto import contact_decrypt; "
        "import json; found = tip_by_receipt({receipt!r}); "
        "print(json.dumps(found and [found.pk, found.body, found.contact_encrypted and "
        "contact_decrypt(found.contact_encrypted)]))"
    )
    shell = manage("shell", "-c", lookup.format(receipt=kept.receipt), env=env)
    assert shell.returncode == 0, shell.stderr
    assert json.loads(shell.stdout.strip().splitlines()[-1]) == [
        kept.tip.pk,
        "Sold at the market in Gdansk.",
        "anna@example.org",
    ]
    shell = manage("shell", "-c", lookup.format(receipt=old.receipt), env=env)
    # Restored, then purged at once by the retention job the restore ran.
    assert json.loads(shell.stdout.strip().splitlines()[-1])[2] == ""
    # Without the contact keys, the restored contact stays closed.
    wrong_keys = {**env, "TIP_CONTACT_KEYS": Fernet.generate_key().decode()}
    shell = manage("shell", "-c", lookup.format(receipt=kept.receipt), env=wrong_keys)
    assert shell.returncode != 0 and "InvalidToken" in shell.stderr


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(backup_settings, tmp_path):
    backup_create()
    [archive] = list(Path(backup_settings.BACKUP_DIR).glob("*.backup"))
    with pytest.raises(CommandError, match="database is not empty"):
        call_command("restore", str(archive))


@pytest.mark.django_db
def test_backups_past_the_retention_are_deleted_and_a_kept_copy_is_refused(
    backup_settings, tmp_path
):
    now = timezone.now()
    old = backup_create(now=now - timedelta(days=31)).path
    copy = tmp_path / old.name
    shutil.copy(old, copy)  # an operator's copy outside BACKUP_DIR

    report = backup_create(now=now)

    assert report.expired == [old] and not old.exists()
    assert [p.name for p in Path(backup_settings.BACKUP_DIR).glob("*.backup")] == [report.path.name]
    with pytest.raises(backups.BackupError, match="older than BACKUP_RETENTION_DAYS"):
        backups.backup_restore(path=copy, now=now)


@pytest.mark.django_db
def test_a_contact_purged_after_a_backup_cannot_come_back_from_it(backup_settings, settings):
    """Closed just before the backup, purged by the schedule 30 days later: by then the
    backup is past BACKUP_RETENTION_DAYS (never longer than the contact retention) and gone."""
    assert settings.BACKUP_RETENTION_DAYS <= settings.TIP_CONTACT_RETENTION_DAYS
    now = timezone.now()
    tip = tip_receive(
        content=TipContent(body="A tip.", contact="me@example.org"), language="en"
    ).tip
    Tip.objects.filter(pk=tip.pk).update(status=TipStatus.CLOSED, closed_at=now)
    backup = backup_create(now=now).path

    purge_day = now + timedelta(days=settings.TIP_CONTACT_RETENTION_DAYS, minutes=1)
    assert retention_apply(now=purge_day).contacts_deleted == 1
    backups.backups_expire(now=purge_day)

    assert not backup.exists()


def test_an_archive_altered_or_cut_short_does_not_open(backup_settings, tmp_path):
    plain = os.urandom(3 * backups.CHUNK + 17)
    path = tmp_path / "a"
    with open(path, "wb") as out:
        writer = backups.EncryptingWriter(out)
        writer.write(plain)
        writer.close()
    with open(path, "rb") as source:
        assert DecryptingReader(source).read() == plain
    sealed = path.read_bytes()
    for broken in (
        sealed[:-100],
        sealed[: len(sealed) // 2],
        sealed[:40] + bytes([sealed[40] ^ 1]) + sealed[41:],
    ):
        path.write_bytes(broken)
        with open(path, "rb") as source, pytest.raises(backups.BackupError):
            DecryptingReader(source).read()
    backup_settings.BACKUP_KEY = Fernet.generate_key().decode()
    path.write_bytes(sealed)
    with open(path, "rb") as source, pytest.raises(backups.BackupError, match="does not open"):
        DecryptingReader(source).read()
