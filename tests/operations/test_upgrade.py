"""An upgrade under traffic: the previous release serves tips and the analysts' queue while
this release's migrations run, then this release takes over; no request may fail.

The previous release is PREVIOUS_RELEASE, a commit of this repository (its code is taken
with `git archive`): update it at each release. "The next release's migrations" are every
migration file here that the previous release does not have; the test database is first
migrated back to the previous release's latest ones.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import service_missing, staff_login
from tests.faults.conftest import ROOT, Visitor, Web, free_port, wait_until

# main when this wave began: the release being upgraded from.
PREVIOUS_RELEASE = "b4a59a7cc161d13384f3cf59e23367bf64aec5e5"
OUR_APPS = ("audit", "outbox", "network", "objects", "tips", "moderation", "operations")
QUEUE = "/backoffice/tips/tip/"

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def migrations(tree: Path) -> dict[str, list[str]]:
    return {
        app: sorted(path.stem for path in (tree / app / "migrations").glob("[0-9]*.py"))
        for app in OUR_APPS
        if (tree / app / "migrations").exists()
    }


@pytest.fixture
def previous_release(tmp_path) -> Path:
    tree = tmp_path / "previous"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE],
        capture_output=True,
        timeout=60,
    )
    if archive.returncode != 0:
        service_missing(f"needs this repository's git history ({PREVIOUS_RELEASE[:8]})")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True, timeout=60)
    return tree


def manage(*args: str, env: dict, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_next_releases_migrations_run_under_traffic_without_a_failed_request(
    public_object,
    analyst,
    previous_release,
    processes,
    site_on_test_database,
    collected_static,
    tmp_path,
):
    old, new = migrations(previous_release), migrations(ROOT)
    upcoming = [f"{app}.{name}" for app in new for name in new[app] if name not in old.get(app, [])]
    print(f"next release's migrations: {upcoming or 'none'}")
    env = {**site_on_test_database, "LOG_LEVEL": "WARNING"}
    for app in {name.split(".")[0] for name in upcoming}:
        manage("migrate", app, old[app][-1] if old.get(app) else "zero", env=env)

    old_static = tmp_path / "previous-static"
    old_env = {**env, "STATIC_ROOT": str(old_static)}
    manage(
        "collectstatic",
        "--noinput",
        "--verbosity",
        "0",
        env={**old_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'static.sqlite3'}"},
        cwd=previous_release,
    )
    cookie = staff_login(Client(), analyst).cookies["sessionid"].value

    def serve(name: str, tree: Path, environment: dict) -> Web:
        port = free_port()
        process = processes(
            name,
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "traceobject.wsgi:application",
                *("--chdir", str(tree), "--bind", f"127.0.0.1:{port}", "--workers", "2"),
                *("--graceful-timeout", "10"),
            ],
            env=environment,
        )
        web = Web(process, port)
        wait_until(lambda: web.request("GET", "/healthz/").status, seconds=40, what=name)
        return web

    serving = {"web": serve("previous", previous_release, old_env)}
    counts = {"tips": 0, "receipts": 0, "queue reads": 0, "failed": 0}
    failures: list[str] = []
    lock, stop = threading.Lock(), threading.Event()

    def record(kind: str, ok: bool, detail: str) -> None:
        with lock:
            counts[kind] += 1
            if not ok:
                counts["failed"] += 1
                failures.append(detail[:300])

    def send_tips() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            web = serving["web"]
            address = f"10.{n // 250 % 250}.{n % 250}.7"
            try:
                page = Visitor(web, f"/objects/{public_object.code}/tip/", address).load().send()
            except AssertionError as exc:  # the form page itself did not load
                record("tips", False, f"form: {exc}")
                continue
            record("tips", page.receipt is not None, f"tip: {page.status} {page.text[:200]}")
            with lock:
                counts["receipts"] += page.receipt is not None

    def read_queue() -> None:
        while not stop.is_set():
            page = serving["web"].request("GET", QUEUE, headers={"Cookie": f"sessionid={cookie}"})
            record("queue reads", page.status == 200, f"queue: {page.status} {page.text[:200]}")
            time.sleep(0.2)

    threads = [threading.Thread(target=send_tips), threading.Thread(target=read_queue)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        started = time.monotonic()
        manage("migrate", "--noinput", env=env)  # this release's migrations, old code serving
        migrated_in = time.monotonic() - started
        previous = serving["web"]
        serving["web"] = serve("current", ROOT, env)  # this release takes new visitors…
        time.sleep(3)  # …while the previous one finishes what it started (a drain)
        previous.process.kill(signal.SIGTERM)  # gunicorn's graceful stop
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    print(
        f"migrations applied in {migrated_in:.1f} s under traffic: {counts['tips']} tips sent, "
        f"{counts['receipts']} receipts, {counts['queue reads']} queue reads, "
        f"failed requests: {counts['failed']}"
    )
    assert counts["tips"] > 0 and counts["queue reads"] > 0
    assert counts["failed"] == 0, failures[:3]
