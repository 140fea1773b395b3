"""Three portals on this machine, as deployed: three gunicorn, three PostgreSQL databases,
three Redis databases, each with its own keys and SITE_URL. Each publishes its well-known,
`partner add` by fingerprint works between them over real HTTP, and a tampered, replayed or
unknown-sender message POSTed to a real inbox is refused with its reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import override_settings

from network import keys
from network.envelope import canonical, document_verify, message_seal
from network.models import Partner
from tests.conftest import service_missing
from tests.network.conftest import message_id, portal_new
from tests.serving import free_port, stop, wait_for

pytestmark = pytest.mark.services
ROOT = Path(__file__).resolve().parents[2]
NAMES = {"a": 12, "b": 13, "c": 14}  # portal -> its Redis database


@dataclass
class Running:
    name: str
    portal: object
    env: dict
    proc: subprocess.Popen | None = None

    @property
    def origin(self) -> str:
        return self.portal.origin

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{parts.path.strip('/')}_{name}"))


def recreate(url: str, template: str = "") -> None:
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password or "", dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    with connection.cursor() as cursor:
        database = parts.path.strip("/")
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        copied = f' TEMPLATE "{urlsplit(template).path.strip("/")}"' if template else ""
        cursor.execute(f'CREATE DATABASE "{database}"{copied}')
    connection.close()


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://…")
    redis = os.environ.get("REDIS_URL", "")
    if not redis:
        service_missing("needs Redis: set REDIS_URL=redis://…")
    logs = tmp_path_factory.mktemp("portals")
    running = {}
    for name, redis_db in NAMES.items():
        port = free_port()
        portal = portal_new(f"http://127.0.0.1:{port}")
        url = database_url(name)
        redis_parts = urlsplit(redis)
        env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": url,
            "REDIS_URL": urlunsplit(redis_parts._replace(path=f"/{redis_db}")),
            "CACHE_KEY_PREFIX": f"three-portals-{name}",
            "SECRET_KEY": f"three-portals-{name}-" + "x" * 40,
            "TIP_CONTACT_KEYS": "dGVzdC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=",
            "SITE_URL": portal.origin,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "NETWORK_SIGNING_KEYS": portal.signing_seed,
            "NETWORK_ENCRYPTION_KEYS": portal.encryption_key,
            "NETWORK_NAME": f"Agency {name.upper()}",
            "NETWORK_ALLOW_PRIVATE": "true",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
        }
        running[name] = Running(name=name, portal=portal, env=env)
        running[name].port = port
    # The three migrations at once: the slowest part of the harness.
    migrations = {
        name: subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=r.env,
            stderr=(logs / f"migrate-{name}.log").open("w"),
        )  # fmt: skip
        for name, r in running.items()
    }
    for name, proc in migrations.items():
        assert proc.wait(timeout=180) == 0, (logs / f"migrate-{name}.log").read_text()[-3000:]
    try:
        for r in running.values():
            r.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "traceobject.wsgi:application",
                 "-c", "python:traceobject.gunicorn_conf", "--bind", f"127.0.0.1:{r.port}"],
                cwd=ROOT, env=r.env, stdout=subprocess.DEVNULL,
                stderr=(logs / f"gunicorn-{r.name}.log").open("w"),
            )  # fmt: skip
        for r in running.values():
            wait_for(r.port)
        yield running
    finally:
        for r in running.values():
            if r.proc is not None:
                stop(r.proc)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.read()


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def as_partner(r: Running) -> Partner:
    return Partner(
        origin=r.origin,
        signing_keys=[r.portal.signing_public],
        encryption_key=r.portal.encryption_public,
    )


def sent(sender: Running, recipient: Running, kind: str = "tip") -> bytes:
    with override_settings(ALLOWED_HOSTS=["*"]), sender.portal.speaking():
        return message_seal(
            partner=as_partner(recipient), kind=kind, payload={"x": 1}, message_id=message_id()
        )


def test_each_portal_publishes_its_signed_well_known(portals):
    for r in portals.values():
        payload = document_verify(
            partner=as_partner(r),
            raw=get(f"{r.origin}/.well-known/traceobject.json"),
            kind="well-known",
        )
        assert payload["origin"] == r.origin
        assert payload["name"] == f"Agency {r.name.upper()}"
        assert payload["signing_keys"] == [r.portal.signing_public]
        assert payload["inbox"] == f"{r.origin}/network/inbox/"


def test_partners_are_added_by_fingerprint_between_the_portals(portals):
    a, b, c = portals["a"], portals["b"], portals["c"]
    for host, guest in [(a, b), (b, a), (c, a), (a, c)]:
        fingerprint = keys.fingerprint_grouped(keys.fingerprint(guest.portal.signing_public))
        done = host.manage("partner", "add", guest.origin, fingerprint)
        assert done.returncode == 0, done.stderr
    listed = a.manage("partner", "list").stdout
    assert b.origin in listed and c.origin in listed and "active" in listed
    wrong = b.manage("partner", "add", c.origin, "0" * 64)
    assert wrong.returncode != 0 and "fingerprint_mismatch" in wrong.stderr


def test_a_real_inbox_refuses_tampered_replayed_and_unknown_messages(portals):
    a, b, c = portals["a"], portals["b"], portals["c"]
    inbox = f"{a.origin}/network/inbox/"
    # B is A's partner (previous test); no handler for "probe" is registered: a message that
    # passes every check is refused only for its kind.
    raw = sent(b, a, kind="probe")
    assert post(inbox, raw) == (400, {"refused": "unknown_kind"})
    assert post(inbox, raw) == (400, {"refused": "replayed"})
    tampered = json.loads(sent(b, a, kind="probe"))
    tampered["kind"] = "tip"
    assert post(inbox, canonical(tampered)) == (403, {"refused": "bad_signature"})
    # C was never added by B.
    assert post(f"{b.origin}/network/inbox/", sent(c, b)) == (403, {"refused": "unknown_sender"})
    # A removes C: C is cut off at once.
    assert a.manage("partner", "remove", c.origin).returncode == 0
    assert post(inbox, sent(c, a, kind="probe")) == (403, {"refused": "removed_sender"})
    assert post(inbox, b"x" * (settings.NETWORK_MAX_MESSAGE_BYTES + 1)) == (
        413,
        {"refused": "oversized"},
    )
