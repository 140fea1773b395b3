"""Backups that restore: the database and the private images in one encrypted archive
(its format and why the contact keys are left out: docs/operations.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

MAGIC = b"TRACEOBJECT-BACKUP-1\n"
CHUNK = 1 << 20
NAME_FORMAT = "traceobject-%Y%m%dT%H%M%SZ.backup"
NAME_PATTERN = re.compile(r"^traceobject-(\d{8}T\d{6}Z)\.backup$")
MANIFEST = "manifest.json"
MEDIA_PREFIX = "private-media/"


class BackupError(Exception):
    """Something an operator must act on; the message says what."""


def _key() -> AESGCM:
    if not settings.BACKUP_KEY:
        raise BackupError("BACKUP_KEY is not set (see docs/operations.md, Backups)")
    return AESGCM(base64.urlsafe_b64decode(settings.BACKUP_KEY.encode()))


class EncryptingWriter:
    """A write-only file that encrypts what it is given, chunk by chunk, into `out`."""

    def __init__(self, out: IO[bytes]):
        self.out, self.aead, self.buffer, self.count = out, _key(), bytearray(), 0
        self.prefix = os.urandom(7)
        out.write(MAGIC + self.prefix)

    def _nonce(self, last: bool) -> bytes:
        return self.prefix + struct.pack(">I?", self.count, last)

    def _emit(self, data: bytes, *, last: bool) -> None:
        sealed = self.aead.encrypt(self._nonce(last), data, MAGIC)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.count += 1

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._emit(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        self._emit(bytes(self.buffer), last=True)
        self.buffer.clear()


class DecryptingReader:
    """A read-only file of what EncryptingWriter wrote; refuses anything altered or cut."""

    def __init__(self, source: IO[bytes]):
        self.source, self.aead, self.buffer, self.count, self.done = source, _key(), b"", 0, False
        if source.read(len(MAGIC)) != MAGIC:
            raise BackupError("not a traceobject backup archive")
        self.prefix = source.read(7)

    def _next(self) -> None:
        header = self.source.read(4)
        if len(header) < 4:
            raise BackupError("the archive is cut short (no final chunk)")
        sealed = self.source.read(struct.unpack(">I", header)[0])
        for last in (False, True):
            try:
                self.buffer += self.aead.decrypt(
                    self.prefix + struct.pack(">I?", self.count, last), sealed, MAGIC
                )
            except InvalidTag:
                continue
            self.count += 1
            self.done = last
            return
        raise BackupError("the archive does not open with BACKUP_KEY, or was altered")

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.buffer) < size):
            self._next()
        if self.done and self.source.read(1):
            raise BackupError("the archive has data after its final chunk")
        size = len(self.buffer) if size < 0 else size
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def row_counts() -> dict[str, int]:
    return {label: apps.get_model(label)._base_manager.count() for label in _tables()}


def media_checksums(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def _dump_database(target: Path) -> dict[str, int]:
    """Dump the database to `target`; return the row counts of that very snapshot."""
    if connection.vendor == "sqlite":
        counts = row_counts()
        with sqlite3.connect(target) as copy:
            connection.ensure_connection()
            connection.connection.backup(copy)
        return counts
    if connection.vendor != "postgresql":
        raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")
    args, env = _pg_env()
    # The counts and pg_dump read one exported snapshot: what the manifest says is in the
    # dump is exactly what is, however many tips arrive meanwhile. A connection of its own,
    # so that the snapshot's transaction is nobody else's.
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        with raw.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = {}
            for label, table in _tables().items():
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (model tables)
                counts[label] = cursor.fetchone()[0]
            subprocess.run(
                ["pg_dump", *args, "--format=custom", "--no-owner", "--no-privileges"]
                + ["--snapshot", snapshot, "--file", str(target)],
                env=env,
                check=True,
                capture_output=True,
                timeout=6 * 3600,
            )
    finally:
        raw.close()
    return counts


def _tables() -> dict[str, str]:
    return {
        model._meta.label: model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _created_at(path: Path) -> datetime | None:
    found = NAME_PATTERN.match(path.name)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass
class BackupReport:
    path: Path
    rows: int
    media_files: int
    expired: list[Path] = field(default_factory=list)


def backup_create(*, now: datetime | None = None) -> BackupReport:
    """Write one archive to BACKUP_DIR, then delete those past BACKUP_RETENTION_DAYS."""
    now = now or timezone.now()
    key = _key()  # before any work: no key, no backup
    del key
    folder = Path(settings.BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / now.astimezone(UTC).strftime(NAME_FORMAT)
    media_root = Path(settings.PRIVATE_MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".work-") as work:
        database = Path(work) / (
            "database.sqlite3" if connection.vendor == "sqlite" else "database.dump"
        )
        counts = _dump_database(database)
        checksums = media_checksums(media_root)
        manifest = {
            "created_at": now.isoformat(),
            "database": {"vendor": connection.vendor, "file": database.name, "rows": counts},
            "private_media": checksums,
        }
        partial = target.with_suffix(".partial")
        with open(partial, "wb") as out:
            writer = EncryptingWriter(out)
            with tarfile.open(fileobj=writer, mode="w|") as archive:  # type: ignore[call-overload]
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
                archive.add(database, arcname=database.name)
                for name in checksums:
                    archive.add(media_root / name, arcname=MEDIA_PREFIX + name)
            writer.close()
        partial.rename(target)
    expired = backups_expire(now=now)
    return BackupReport(target, sum(counts.values()), len(checksums), expired)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, fileobj=_Bytes(data))


class _Bytes:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) if size < 0 else size
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def backups_expire(*, now: datetime | None = None) -> list[Path]:
    """Delete the archives older than BACKUP_RETENTION_DAYS (by the time in their name)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BACKUP_RETENTION_DAYS)
    deleted = []
    for path in sorted(Path(settings.BACKUP_DIR).glob("traceobject-*.backup")):
        created = _created_at(path)
        if created is not None and created < cutoff:
            path.unlink()
            deleted.append(path)
    return deleted


@dataclass
class RestoreReport:
    created_at: datetime
    rows: int
    media_files: int


def _fresh_database() -> bool:
    return not connection.introspection.table_names()


def backup_restore(*, path: Path, now: datetime | None = None) -> RestoreReport:
    """Restore an archive into an empty database and an empty PRIVATE_MEDIA_ROOT, then
    check that every row count and image checksum matches what the archive recorded."""
    now = now or timezone.now()
    media_root = Path(settings.PRIVATE_MEDIA_ROOT)
    with (
        open(path, "rb") as source,
        tempfile.TemporaryDirectory(prefix="traceobject-restore-") as work,
    ):
        with tarfile.open(fileobj=DecryptingReader(source), mode="r|") as archive:  # type: ignore[call-overload]
            first = archive.next()
            if first is None or first.name != MANIFEST:
                raise BackupError("the archive has no manifest")
            manifest = json.loads(archive.extractfile(first).read())  # type: ignore[union-attr]
            created_at = datetime.fromisoformat(manifest["created_at"])
            if created_at < now - timedelta(days=settings.BACKUP_RETENTION_DAYS):
                raise BackupError(
                    f"the archive is from {created_at:%Y-%m-%d}, older than "
                    f"BACKUP_RETENTION_DAYS ({settings.BACKUP_RETENTION_DAYS}): it may hold "
                    "contacts the retention schedule has deleted since; it must not be restored"
                )
            if manifest["database"]["vendor"] != connection.vendor:
                raise BackupError(f"the archive holds a {manifest['database']['vendor']} database")
            if not _fresh_database():
                raise BackupError("the database is not empty: restore into a freshly created one")
            if media_root.exists() and any(media_root.iterdir()):
                raise BackupError(f"{media_root} is not empty: restore into a fresh folder")
            # One member at a time: a stream cannot go back to the manifest.
            while (member := archive.next()) is not None:
                archive.extract(member, work, filter="data")
        _load_database(Path(work) / manifest["database"]["file"])
        staged = Path(work) / MEDIA_PREFIX.rstrip("/")
        media_root.mkdir(parents=True, exist_ok=True)
        if staged.exists():
            for item in staged.iterdir():
                shutil.move(item, media_root / item.name)
    problems = _differences(manifest)
    if problems:
        raise BackupError("the restore does not match the archive: " + "; ".join(problems))
    return RestoreReport(
        created_at, sum(manifest["database"]["rows"].values()), len(manifest["private_media"])
    )


def _load_database(dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.close()
        shutil.copy(dump, settings.DATABASES["default"]["NAME"])
        return
    args, env = _pg_env()
    connection.close()
    done = subprocess.run(
        ["pg_restore", *args, "--no-owner", "--no-privileges", "--exit-on-error"]
        + ["--single-transaction", str(dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")


def _differences(manifest: dict) -> list[str]:
    """Before `migrate`: the tables are the archive's, so its own models are counted."""
    problems = []
    tables = set(connection.introspection.table_names())
    for label, expected in manifest["database"]["rows"].items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # a model this version no longer has
        found = model._base_manager.count() if model._meta.db_table in tables else None
        if found != expected:
            problems.append(f"{label}: {found} rows, the archive had {expected}")
    restored = media_checksums(Path(settings.PRIVATE_MEDIA_ROOT))
    for name, checksum in manifest["private_media"].items():
        if restored.get(name) != checksum:
            problems.append(f"private media {name}: missing or different")
    return problems
