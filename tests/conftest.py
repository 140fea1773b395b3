"""Fixtures shared by every test (the personas below among them), and the rules for tests
that need a real service.

Locally a test that needs PostgreSQL, Redis, a Celery worker or Chromium is skipped with a
reason when that service is missing; with CI=true it fails instead, so CI can never go
green on a run that quietly skipped the tests that matter.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a missing service there is a broken CI machine."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def tcp_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def require_postgres() -> None:
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://… to run this test")


@pytest.fixture
def redis_url() -> str:
    url = settings.REDIS_URL
    if not url:
        service_missing("needs Redis: set REDIS_URL=redis://… to run this test")
    if not tcp_reachable(url, 6379):
        service_missing(f"needs Redis, but nothing answers at {url}")
    return url


@pytest.fixture
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas get passwords; the production hasher would spend 0.3 s on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its media and intake files into its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    settings.INTAKE_ROOT = tmp_path / "intake"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_counters():
    """Rate limits and failed logins per account are counted in the `ratelimit` cache (Redis
    keys carry the run's own prefix): every test starts with none, so one test's failures
    never limit or lock another's persona."""
    from django.core.cache import caches

    from traceobject import clients

    caches["ratelimit"].clear()
    # The day's pseudonym salt went with the cache: the process's copy goes too, or it would
    # be replaced mid-test (a moved clock re-reads it) and every network's key would change.
    clients._day_secrets.clear()


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Every test starts with no cached public page: factories write rows without the
    services that make cached pages stale."""
    from traceobject.pagecache import page_cache_bump

    page_cache_bump()


@pytest.fixture(autouse=True)
def fresh_urgent_banner():
    """Every test asks the database afresh for the urgent report the back office's banner
    names (tips/urgent.py keeps the answer ten seconds in the shared default cache)."""
    from django.core.cache import cache

    from tips.urgent import URGENT_WAITING_KEY

    cache.delete(URGENT_WAITING_KEY)


@pytest.fixture
def urgent_banner_known():
    """For a test counting a page's queries: the banner's answer already cached, as it is for
    all but one back-office page view in ten seconds."""
    from tips.urgent import urgent_waiting

    urgent_waiting()


@pytest.fixture(autouse=True, scope="session")
def plain_static_storage():
    """Production serves hashed static files from collectstatic's manifest; tests have no
    manifest, so they use plain names (test_static.py checks the manifest build itself)."""
    from django.test import override_settings

    storages = {**settings.STORAGES}
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES=storages):
        yield


def staff_login(client, user):
    """Log `user` into the back office as a person would be after both factors: a session
    plus a verified OTP device (a test backup-code device), the state django-otp's login
    leaves behind. Returns the client."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="test device", defaults={"confirmed": True}
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --- Personas ---------------------------------------------------------------------------
#
# Every test is written around these people. Each is a staff account in the real role group
# that `migrate` keeps (moderation/roles.py), never permissions granted one by one, so a
# permission taken from a role makes its tests fail. Passwords are `<username>-password-123`.
#
# - visitor: the anonymous public, pytest-django's plain `client`; sends tips, browses the
#   gallery, checks a receipt; every back-office URL sends it to the login page.
# - investigator ("ines", Investigator, ines@police.example): owns the demo `case`, uploads
#   crops, reads the tips forwarded to her, acknowledges them and records their outcome.
# - second_investigator ("sam", Investigator, sam@police.example): co-owns the case and
#   approves ines's uploads (four eyes); a second recipient of forwards.
# - outsider_investigator ("olga", Investigator, olga@police.example): owns no case here, so
#   she sees public objects only and nothing of ines's case.
# - analyst ("ana", Analyst, not a superuser): works the tip queue (takes, triages, asks,
#   notes, reveals contact details) and forwards tips; sees no unpublished object.
# - second_analyst ("ben", Analyst): the colleague taking tips at the same time as ana.
# - administrator ("adam", Administrator, not a superuser): manages staff, reads the audit
#   log and failed tasks, and may view tips but change none: the "viewer" of the tip tests.
# - superuser ("root"): only where a test is about what a superuser may do (seeing every
#   case, the audit log refusing even them); never a stand-in for a role.


@pytest.fixture
def investigator(db):
    from tests.factories import persona

    return persona("ines")


@pytest.fixture
def second_investigator(db):
    from tests.factories import persona

    return persona("sam")


@pytest.fixture
def outsider_investigator(db):
    from tests.factories import persona

    return persona("olga")


@pytest.fixture
def analyst(db):
    from tests.factories import persona

    return persona("ana")


@pytest.fixture
def second_analyst(db):
    from tests.factories import persona

    return persona("ben")


@pytest.fixture
def administrator(db):
    from tests.factories import persona

    return persona("adam")


@pytest.fixture
def superuser(db):
    from tests.factories import superuser

    return superuser()


@pytest.fixture
def analyst_client(client, analyst):
    """The test client, logged into the back office as the analyst ana."""
    return staff_login(client, analyst)


@pytest.fixture
def case(investigator, second_investigator):
    from objects.services import case_ensure

    case = case_ensure(reference="CASE-2026-017", owner=investigator, title="Demo case")
    case.owners.add(second_investigator)
    return case


@pytest.fixture
def public_object(case, investigator, second_investigator):
    """A published object of ines's and sam's case (no image files: fast)."""
    from tests.factories import bare_published_object

    return bare_published_object(
        case, investigator, second_investigator, thumbnail="objects/thumbs/x.jpg"
    )


@pytest.fixture(autouse=True, scope="session")
def compiled_translations():
    """Compile the catalogues once per run (as `make install` does), so a fresh checkout
    tested with plain pytest still speaks every language."""
    import subprocess
    import sys

    subprocess.run([sys.executable, str(settings.BASE_DIR / "bin" / "compilemessages")], check=True)


@pytest.fixture(autouse=True)
def english_outside_requests():
    """reverse() and gettext outside a request use the thread's active language, which the
    last request left behind: every test starts in English."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
