"""Three portals on this machine, as deployed: for each, gunicorn behind a front (a
recording reverse proxy that serves the public media, as nginx does), a Celery worker and
beat, its own PostgreSQL database and Redis database (in a private redis-server), its own
keys and SITE_URL. Each publishes its well-known, `partner add` by fingerprint works between
them over real HTTP, and a tampered, replayed or unknown-sender message POSTed to a real
inbox is refused with its reason.

Then issue #21's "Done when", end to end between the processes: A publishes an object, B and
C show it after one poll, through their own intake; a visitor on B tips, A's analysts see the
tip grouped with A's own and ask a question the visitor reads on B; A goes down while B
relays 50 tips, which arrive once and in order, one of them after a lost acknowledgement;
and nothing of a visitor's address, browser or exact time crosses the wire or is stored.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
from tests.network.portals import Browser, Front, altcha_key, query, wait_until
from tests.serving import free_port, wait_for

pytestmark = pytest.mark.services
ROOT = Path(__file__).resolve().parents[2]


# portal -> its database in the harness's own Redis (a private redis-server: the test
# process's autouse fixtures flush the Redis database of REDIS_URL before every test).
NAMES = {"a": 0, "b": 1, "c": 2}
BIN = Path(sys.executable).parent


class Running:
    """One portal: its front (the address partners and visitors use, tests/network/portals.py),
    gunicorn behind it, a Celery worker and beat, its database and its Redis database."""

    def __init__(self, name: str, portal, env: dict, front: Front, logs: Path):
        self.name, self.portal, self.env, self.front, self.logs = name, portal, env, front, logs
        self.port = free_port()  # gunicorn's; only the front talks to it
        front.upstream = self.port
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def origin(self) -> str:
        return self.portal.origin

    @property
    def database(self) -> str:
        return self.env["DATABASE_URL"]

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def shell(self, code: str) -> str:
        """Run `code` in the portal's Django (its database, its settings): its services."""
        done = self.manage("shell", "-c", code)
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        return done.stdout

    def _start(self, what: str, args: list[str]) -> None:
        log = (self.logs / f"{what}-{self.name}.log").open("a")
        self.procs[what] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a finalizer kills its children with it
        )  # fmt: skip

    def start(self, *what: str) -> None:
        self.spawn(*what)
        self.ready(*what)

    def spawn(self, *what: str) -> None:
        """Start the processes without waiting for them (`ready` waits): the portals'
        processes come up side by side instead of one after another."""
        for name in what or ("web", "worker", "beat"):
            if name == "web":
                self._start("web", [
                    str(BIN / "gunicorn"), "traceobject.wsgi:application",
                    "-c", "python:traceobject.gunicorn_conf", "--bind", f"127.0.0.1:{self.port}",
                ])  # fmt: skip
            elif name == "worker":
                self._start("worker", [
                    str(BIN / "celery"), "-A", "traceobject", "worker", "--pool", "prefork",
                    "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
                    "--without-mingle", "--hostname", f"three-{self.name}-{self.port}@%h",
                ])  # fmt: skip
            elif name == "beat":
                self._start("beat", [
                    str(BIN / "celery"), "-A", "traceobject", "beat", "--loglevel", "INFO",
                    "--schedule", str(self.logs / f"beat-schedule-{self.name}"),
                ])  # fmt: skip

    def ready(self, *what: str) -> None:
        """Wait until the web and worker processes `spawn` started answer."""
        if "web" in (what or ("web",)):
            # Up to a minute, as for the worker: the three portals' nine processes start at
            # once on what may be a small machine.
            wait_until(lambda: listening(self.port), seconds=60, what=f"{self.name}'s gunicorn")
        if "worker" in (what or ("worker",)):
            log = self.logs / f"worker-{self.name}.log"
            wait_until(
                lambda: log.read_text(errors="replace").count(" ready.")
                >= self.worker_starts + 1,
                seconds=60, what=f"{self.name}'s worker",
            )  # fmt: skip
            self.worker_starts += 1

    worker_starts = 0

    def stop(self, *what: str) -> None:
        for name in what or list(self.procs):
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def run_task(self, task: str, **kwargs) -> None:
        """Queue a periodic task now, for this portal's own worker to run (as beat would)."""
        from celery import Celery

        app = Celery(broker=self.env["REDIS_URL"])
        try:
            app.send_task(task, kwargs=kwargs)
        finally:
            app.close()

    def idle(self) -> bool:
        """Nothing queued for the worker and nothing it is running: tasks are acknowledged
        only once done (CELERY_TASK_ACKS_LATE), so a task running is still "unacked"."""
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        try:
            return client.llen("celery") == 0 and client.hlen("unacked") == 0
        finally:
            client.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return query(self.database, sql, params)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


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
    if not shutil.which("redis-server"):
        service_missing("needs redis-server on PATH (apt-get install redis-server)")
    logs = tmp_path_factory.mktemp("portals")
    static = logs / "static"
    running = {}
    redis_port = free_port()
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(logs)],
        stdout=(logs / "redis.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    redis = f"redis://127.0.0.1:{redis_port}/0"
    try:
        wait_for(redis_port)
        for name, redis_db in NAMES.items():
            files = logs / f"files-{name}"
            front = Front(files / "media")
            portal = portal_new(f"http://127.0.0.1:{front.port}")
            url = database_url(name)
            recreate(url)
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
                # The floor of the setting: a partner is due again 10 s after its last poll.
                "NETWORK_POLL_SECONDS": "10",
                "WEB_CONCURRENCY": "1",
                "WEB_THREADS": "4",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                # Visitors reach gunicorn through the front, which passes X-Forwarded-For on.
                "TRUSTED_PROXIES": "127.0.0.1",
                "STATIC_ROOT": str(static),
                "MEDIA_ROOT": str(files / "media"),
                "PRIVATE_MEDIA_ROOT": str(files / "private-media"),
                "INTAKE_ROOT": str(files / "intake"),
                "LOG_LEVEL": "INFO",
            }
            running[name] = Running(name, portal, env, front, logs)
        # Production serves hashed static files from collectstatic's manifest: so do we.
        done = running["a"].manage("collectstatic", "--noinput", "-v0")
        assert done.returncode == 0, done.stderr[-3000:]
        # The slowest part of the harness: migrate A's database once, then copy it for B and
        # C (CREATE DATABASE … TEMPLATE). The migrations and their post_migrate handlers read
        # no setting that differs between the portals, so each copy is what its own
        # `migrate` would have made.
        done = running["a"].manage("migrate", "--noinput", "-v0")
        assert done.returncode == 0, done.stderr[-3000:]
        for name in ("b", "c"):
            recreate(running[name].database, template=running["a"].database)
        # Each portal runs as deployed: gunicorn, one worker and one beat. Beat's intervals
        # are the shipped ones (a minute for the poll and the relay), too slow for a test of
        # a few minutes, so the test also queues those periodic tasks itself, through the
        # same broker to the same worker (Running.run_task), when it needs them to run.
        for r in running.values():
            r.spawn("web", "beat", "worker")
        for r in running.values():
            r.ready("web", "worker")
        yield running
    finally:
        for r in running.values():
            r.stop()
            r.front.close()
        redis_server.kill()
        redis_server.wait(timeout=10)
        for path in sorted(logs.glob("*.log")):
            print(
                f"----- {path.name} (last lines) -----\n{path.read_text(errors='replace')[-1500:]}"
            )


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


# --- The "Done when", end to end ----------------------------------------------------

TITLE = "Kite with a red tail"
UA = "ThreePortalsVisitor/1.0 (visitor-user-agent-marker)"
VISITORS = {"b": "198.51.100.23", "a": "203.0.113.9"}  # each visitor's address
TIP = "The kite with the red tail is the Sunny brand sold in Lidl shops in Poland since 2019."
TIP_AT_A = "The kite with the red tail is the Sunny brand sold in Lidl stores in Poland since 2019."
QUESTION = "Which town was the shop in?"
RELAYED = 50
# "Owner down for two minutes": A's processes are stopped for this long while B tries and
# backs off (THREE_PORTALS_DOWN_SECONDS to change it).
DOWN_SECONDS = float(os.environ.get("THREE_PORTALS_DOWN_SECONDS", "120"))

UPLOAD = """
import io
from PIL import Image, ImageDraw
from objects.services import case_ensure, object_submit
from tests.factories import details, persona
ines, sam = persona("ines"), persona("sam")
persona("ana")
case = case_ensure(reference="CASE-2026-021", owner=ines, title="Network case")
case.owners.add(sam)
image = Image.new("RGB", (800, 600), (235, 225, 200))
draw = ImageDraw.Draw(image)
draw.polygon([(400, 80), (620, 300), (400, 520), (180, 300)], fill=(40, 60, 160))
draw.line([(400, 520), (460, 590)], fill=(200, 30, 30), width=12)
exif = Image.Exif()
exif[0x010F] = "ExifMarkerCamera"  # Make
exif[0x0131] = "ExifMarkerSoftware"  # Software
buffer = io.BytesIO()
image.save(buffer, "JPEG", quality=95, exif=exif)
open({path!r}, "wb").write(buffer.getvalue())
obj = object_submit(case=case, uploaded_by=ines, upload=io.BytesIO(buffer.getvalue()),
                    details=details(title={title!r}))
print(obj.pk)
"""

APPROVE = """
from django.contrib.auth import get_user_model
from objects.models import TracedObject
from objects.services import ApprovalChecklist, object_approve
obj = object_approve(obj=TracedObject.objects.get(pk={pk}),
                     by=get_user_model().objects.get(username="sam"),
                     checklist=ApprovalChecklist(True, True, True))
print(obj.code, obj.display.name)
"""

ASK = """
from django.contrib.auth import get_user_model
from tips.models import Tip
from tips.triage import tip_ask
tip_ask(tip=Tip.objects.get(pk={pk}), by=get_user_model().objects.get(username="ana"),
        body={body!r})
"""

URGENT = "The kite's seller said the child in the photo lives above the shop."
RELAY_MANY = """
from objects.models import TracedObject
from tips.services import TipContent, tip_receive
obj = TracedObject.objects.get(code={code!r})
for i in range(1, {n} + 1):
    tip_receive(content=TipContent(body=f"Relay order check {{i:02d}}: seen in a shop."),
                language="en", traced_object=obj)
"""


def partner_id(host: Running, guest: Running) -> int:
    return host.query("SELECT id FROM network_partner WHERE origin = %s", (guest.origin,))[0][0]


def relays(r: Running) -> list[tuple]:
    return r.query(
        "SELECT id, state, attempts, next_attempt_at, last_error, message_id FROM tips_tiprelay"
        " WHERE kind = 'tip' AND tip_id IN (SELECT id FROM tips_tip WHERE NOT urgent) ORDER BY id"
    )


@pytest.fixture(scope="module")
def network(portals):
    """The partners the tests above add, added here when those were deselected."""
    for host, guest in [("a", "b"), ("b", "a"), ("c", "a")]:
        h, g = portals[host], portals[guest]
        if not h.query("SELECT 1 FROM network_partner WHERE origin = %s AND active", (g.origin,)):
            fingerprint = keys.fingerprint(g.portal.signing_public)
            done = h.manage("partner", "add", g.origin, fingerprint)
            assert done.returncode == 0, done.stderr
    return portals


@pytest.fixture(scope="module")
def published(network, tmp_path_factory):
    """A publishes an object with an image through its own intake (its worker)."""
    a = network["a"]
    upload = tmp_path_factory.mktemp("upload") / "upload.jpg"
    pk = int(a.shell(UPLOAD.format(path=str(upload), title=TITLE)).split()[-1])
    wait_until(
        lambda: a.query("SELECT state FROM objects_tracedobject WHERE id = %s", (pk,))[0][0]
        == "awaiting_approval",
        seconds=60, what="A's intake",
    )  # fmt: skip
    code, display = a.shell(APPROVE.format(pk=pk)).split()[-2:]
    return {"pk": pk, "code": code, "display": display, "upload": upload.read_bytes()}


def poll_once(host: Running, owner: Running) -> None:
    """One poll of the owner's feed: queued once the partner is due (NETWORK_POLL_SECONDS)."""
    pid = partner_id(host, owner)
    wait_until(
        lambda: host.query(
            "SELECT next_poll_at IS NULL OR next_poll_at <= now() FROM network_partner"
            " WHERE id = %s", (pid,))[0][0],
        seconds=30, what=f"{host.name}'s poll of {owner.name} to be due",
    )  # fmt: skip
    host.run_task("objects.tasks.partners_poll")


def gallery_shows(r: Running) -> str:
    page = Browser(r.front.port, "192.0.2.1", UA).get("/en/")
    return page.text if TITLE in page.text and "Agency A" in page.text else ""


@pytest.fixture(scope="module")
def mirrored(network, published):
    """B and C show A's object after one poll each (and their own intake of its image)."""
    a, b, c = network["a"], network["b"], network["c"]
    for r in (b, c):
        poll_once(r, a)
    for r in (b, c):
        wait_until(lambda r=r: gallery_shows(r), seconds=60, what=f"{r.name}'s gallery")
    row = b.query(
        "SELECT code, display FROM objects_tracedobject WHERE owner_ref = %s",
        (published["code"],),
    )  # fmt: skip
    return {"b_code": row[0][0], "b_display": row[0][1]}


def test_b_and_c_show_as_object_within_one_poll_sanitised_by_their_own_intake(
    network, published, mirrored
):
    from PIL import Image

    a, b, c = network["a"], network["b"], network["c"]
    for r in (b, c):
        assert "Agency A" in gallery_shows(r) and TITLE in gallery_shows(r)
    served_by_a = get(f"{a.origin}/media/{published['display']}")
    served_by_b = get(f"{b.origin}/media/{mirrored['b_display']}")
    assert Image.open(io.BytesIO(published["upload"])).getexif()  # the upload had EXIF
    assert served_by_b != published["upload"]
    assert mirrored["b_display"] != published["display"]  # B's own file, B's own name
    assert b"ExifMarker" in published["upload"] and b"ExifMarker" not in served_by_b
    assert not Image.open(io.BytesIO(served_by_b)).getexif()
    assert Image.open(io.BytesIO(served_by_b)).format == "JPEG"
    # B fetched A's public copy from A's origin, never the upload (A never serves it).
    fetched = [s.path for s in a.front.wire if s.path.startswith("/media/")]
    assert f"/media/{published['display']}" in fetched
    print(
        f"A upload {len(published['upload'])} B, A served {len(served_by_a)} B, "
        f"B served {len(served_by_b)} B, identical to A's copy: {served_by_b == served_by_a}"
    )


@pytest.fixture(scope="module")
def tipped(network, published, mirrored):
    """A visitor on B sends a tip on A's object and an urgent report; another visitor sends
    a similar tip on A itself."""
    a, b = network["a"], network["b"]
    visitor = Browser(b.front.port, VISITORS["b"], UA)
    b_key = altcha_key(b.env["SECRET_KEY"])
    tip = visitor.send(f"/en/objects/{mirrored['b_code']}/tip/", b_key, body=TIP)
    assert tip.receipt, (tip.status, tip.text[:2000])
    report = Browser(b.front.port, VISITORS["b"], UA).send(
        "/en/report/", b_key, body="A child is in danger at the back of this shop now.",
        danger_now="on",
    )  # fmt: skip
    assert report.receipt, (report.status, report.text[:2000])
    own = Browser(a.front.port, VISITORS["a"], UA).send(
        f"/en/objects/{published['code']}/tip/", altcha_key(a.env["SECRET_KEY"]), body=TIP_AT_A
    )
    assert own.receipt, (own.status, own.text[:2000])
    # The urgent report on A's object: the object's tip form with "a child is in danger now".
    urgent = Browser(b.front.port, VISITORS["b"], UA).send(
        f"/en/objects/{mirrored['b_code']}/tip/", b_key, body=URGENT, danger_now="on"
    )
    assert urgent.receipt, (urgent.status, urgent.text[:2000])
    return {
        "visitor": visitor,
        "receipt": tip.receipt,
        "report_receipt": report.receipt,
        "urgent_receipt": urgent.receipt,
    }


def test_a_visitor_on_b_tips_and_as_analyst_sees_it_grouped_and_asks_back(network, tipped):
    a, b = network["a"], network["b"]
    from_b = partner_id(a, b)

    def grouped():
        rows = a.query(
            "SELECT id, source, source_partner_id, group_id, body FROM tips_tip"
            " WHERE body IN (%s, %s) ORDER BY id", (TIP, TIP_AT_A),
        )  # fmt: skip
        groups = {row[3] for row in rows}
        return rows if len(rows) == 2 and len(groups) == 1 and None not in groups else None

    rows = wait_until(grouped, seconds=60, what="both tips at A, grouped")
    relayed = next(row for row in rows if row[1] == "partner")
    assert relayed[2] == from_b and relayed[4] == TIP
    assert next(row for row in rows if row[1] == "web")[2] is None
    # B keeps its tip for the receipt; its relay is delivered with A's reference.
    assert wait_until(
        lambda: ("delivered", str(relayed[0])) in b.query(
            "SELECT state, owner_ref FROM tips_tiprelay WHERE kind = 'tip'"),
        seconds=30, what="B's relay delivered",
    )  # fmt: skip

    # The urgent one arrives urgent, from B (A's alert mail is tests/faults' subject).
    assert wait_until(
        lambda: a.query(
            "SELECT urgent, source_partner_id FROM tips_tip WHERE body = %s", (URGENT,)),
        seconds=30, what="the urgent tip at A",
    ) == [(True, from_b)]  # fmt: skip

    a.shell(ASK.format(pk=relayed[0], body=QUESTION))
    visitor = tipped["visitor"]
    page = wait_until(
        lambda: (p := visitor.receipt_check(tipped["receipt"])).status == 200
        and QUESTION in p.text and p,
        seconds=60, what="the question on B's receipt page",
    )  # fmt: skip
    assert "Agency A" in page.text
    # The urgent report is not about an object: it stays with B's analysts, alerted there.
    assert b.query("SELECT urgent, source FROM tips_tip WHERE kind = 'report'") == [(True, "web")]
    assert not a.query("SELECT 1 FROM tips_tip WHERE body LIKE 'A child is in danger%%'")


def test_a_down_while_b_relays_50_tips_then_all_arrive_once_in_order_an_ack_lost(
    network, published, mirrored, tipped
):
    a, b = network["a"], network["b"]
    before = len(a.front.inbox_posts())
    a.stop()  # gunicorn, worker and beat: A is down; its front answers 502 as nginx would
    down_at = time.monotonic()
    b.shell(RELAY_MANY.format(code=mirrored["b_code"], n=RELAYED))
    waiting = wait_until(
        lambda: (rows := relays(b)[1:]) and len(rows) == RELAYED and rows[0][2] >= 1 and rows,
        seconds=30, what="B's first attempt at A",
    )  # fmt: skip
    assert all(row[1] == "waiting" for row in waiting)
    assert waiting[0][4].startswith("HTTP 502"), waiting[0][4]
    assert all(row[2] == 0 for row in waiting[1:])  # the queue waits behind its head
    attempts = waiting[0][2]
    # B backs off: a send run inside the backoff makes no attempt.
    b.run_task("tips.tasks.relays_send_due")
    wait_until(b.idle, seconds=30, what="B's send run")
    assert relays(b)[1][2] == attempts
    # The first backoff is waited out for real (the next minute: at most 60 s), then B tries
    # again, A still down (B's beat may be the one that sends it).
    wait_until(
        lambda: b.query(
            "SELECT next_attempt_at <= now() FROM tips_tiprelay WHERE id = %s", (waiting[0][0],)
        )[0][0],
        seconds=75, what="B's first backoff to pass",
    )  # fmt: skip
    b.run_task("tips.tasks.relays_send_due")
    wait_until(lambda: relays(b)[1][2] > attempts, seconds=30, what="B's second attempt")
    assert not a.query(
        "SELECT 1 FROM tips_tip WHERE body LIKE 'Relay order check%%'"
    )  # fmt: skip
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
    tried_while_down = [s for s in a.front.inbox_posts()[before:] if s.status == 502]
    assert len(tried_while_down) >= 2

    a.start("web", "worker", "beat")
    # B's later backoffs (2, 4 … minutes) are not waited out: the test moves B's next
    # attempt to now instead ("the clock moves on"), by fast_forward, here and below.
    a.front.drop_acks = 1  # A stores the next message; its acknowledgement is lost
    fast_forward(b)
    b.run_task("tips.tasks.relays_send_due")
    wait_until(lambda: any(s.dropped for s in a.front.inbox_posts()), seconds=30,
               what="a dropped acknowledgement")  # fmt: skip
    head = relays(b)[1]
    assert head[1] == "waiting"  # B never got the ack: it waits to send it again
    assert a.query("SELECT count(*) FROM tips_tip WHERE source_message_id = %s", (head[5],)) == [
        (1,)
    ]
    wait_until(lambda: relays(b)[1][3] is not None, seconds=10, what="B's backoff")
    fast_forward(b)
    b.run_task("tips.tasks.relays_send_due")
    wait_until(
        lambda: all(row[1] == "delivered" for row in relays(b)), seconds=90,
        what="all 50 delivered",
    )  # fmt: skip

    bodies = [row[0] for row in a.query(
        "SELECT body FROM tips_tip WHERE source_partner_id = %s AND body LIKE 'Relay order%%'"
        " ORDER BY id", (partner_id(a, b),))]  # fmt: skip
    assert bodies == [f"Relay order check {i:02d}: seen in a shop." for i in range(1, 51)]
    # The message whose ack was lost crossed the wire twice, the same id; stored once.
    ids = [json.loads(s.body)["id"] for s in a.front.inbox_posts()[before:] if s.status != 502
           or s.dropped]  # fmt: skip
    assert ids.count(head[5]) == 2 and len(set(ids)) == RELAYED
    assert list(dict.fromkeys(ids)) == [row[5] for row in relays(b)[1:]]  # in order
    print(
        f"A down {time.monotonic() - down_at:.0f} s in all; POSTs to A's inbox while down: "
        f"{len(tried_while_down)}; after: {len(ids)} for {RELAYED} messages"
    )


def fast_forward(b: Running) -> None:
    b.query(
        "UPDATE tips_tiprelay SET next_attempt_at = now() - interval '1 minute'"
        " WHERE state = 'waiting' AND next_attempt_at IS NOT NULL"
    )


def test_no_visitor_address_user_agent_or_exact_time_crosses_the_network(network, tipped):
    from nacl.public import PrivateKey, SealedBox

    addresses = [*VISITORS.values(), "192.0.2.1"]
    by_origin = {r.origin: r for r in network.values()}
    between = 0
    for r in network.values():
        for seen in list(r.front.wire):
            agent = seen.headers.get("User-Agent", "")
            if agent == UA or agent.startswith("Python-urllib"):
                continue  # a visitor's browser or this test, not a portal
            between += 1
            assert agent == "traceobject-network/1", (seen.path, agent)
            wire = json.dumps(seen.headers) + seen.body.decode(errors="replace")
            assert "visitor-user-agent-marker" not in wire
            assert not any(address in wire for address in addresses), seen.path
            if seen.method == "POST":
                envelope = json.loads(seen.body)
                assert envelope["ts"] % 60 == 0  # to the minute
                key = PrivateKey(base64.b64decode(r.portal.encryption_key))
                opened = SealedBox(key).decrypt(base64.b64decode(envelope["body"])).decode()
                assert "visitor-user-agent-marker" not in opened
                assert not any(address in opened for address in addresses)
                assert not re.search(r"\d\d:\d\d:\d\d|\b\d{10}\b", opened), opened
                assert by_origin[envelope["from"]] is not r
    assert between > 50
    for r in network.values():
        dump = subprocess.run(
            ["pg_dump", "--data-only", "--dbname", r.database],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        assert "visitor-user-agent-marker" not in dump and "ThreePortalsVisitor" not in dump
        assert not any(address in dump for address in addresses), r.name
        tips = r.query("SELECT t::text FROM tips_tip t")
        assert len(tips) >= {"a": 53, "b": 53, "c": 0}[r.name]  # what the tests above sent
        assert not any("127.0.0.1" in row[0] for row in tips)
        assert r.query(
            "SELECT count(*) FROM tips_tip WHERE received_at <> date_trunc('minute', received_at)"
        ) == [(0,)]
