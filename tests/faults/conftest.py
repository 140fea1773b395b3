"""Private services for the fault tests, and a visitor that posts tips over real HTTP.

Other people's tests use this machine's PostgreSQL and Redis at the same time, so a fault
test never stops those: it starts its own Redis, PostgreSQL cluster, Celery worker and
gunicorn, breaks them, and a finalizer kills every process it started (by its own id or
its own process group). Every wait is bounded in time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection

from tests.conftest import service_missing
from tests.tips.conftest import tip_data

ROOT = Path(__file__).resolve().parents[2]
HEALTHZ_TOKEN = "faults-healthz-token"  # noqa: S105 (a throw-away site's)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, seconds: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


# --- Processes ----------------------------------------------------------------------------


class Process:
    """A subprocess in its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict, logs: Path):
        self.name = name
        self.log_path = logs / f"{name}-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: its children go with it
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group we started (the process and any children it forked)."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]


@pytest.fixture
def processes(tmp_path):
    """Everything a test starts is registered here and killed when it ends, last first."""
    started: list[Process] = []

    def start(name: str, args: list[str], *, env: dict | None = None) -> Process:
        process = Process(name, args, env=env or dict(os.environ), logs=tmp_path)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.kill(signal.SIGTERM if process.name == "web" else signal.SIGKILL)
        tail = process.output()[-3000:]
        print(f"\n----- {process.name} (last lines) -----\n{tail}")


# --- Redis --------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, start, workdir: Path):
        self._start = start
        self.port = free_port()
        self.workdir = workdir
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # No persistence: a restart comes back empty, the worst case for queued messages.
        self.process = self._start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
        )
        wait_until(self.answers, seconds=10, what="the private Redis to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill(signal.SIGKILL)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(processes, tmp_path) -> PrivateRedis:
    if not shutil.which("redis-server"):
        service_missing("needs redis-server on PATH (apt-get install redis-server)")
    redis = PrivateRedis(processes, tmp_path)
    redis.start()
    return redis


# --- PostgreSQL ---------------------------------------------------------------------------


class PrivatePostgres:
    """A throw-away cluster. initdb refuses to run as root, so as root it runs as postgres."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="traceobject-faults-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)

    def initdb(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"),
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres():
    """A cluster of our own, migrated once for the session (a test may stop and start it)."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bindirs:
        service_missing("needs the PostgreSQL server binaries (apt-get install postgresql)")
    cluster = PrivatePostgres(Path(bindirs[-1]))
    try:
        cluster.initdb()
        cluster.start()
        manage("migrate", "--noinput", env=site_env(database_url=cluster.url))
        yield cluster
    finally:
        cluster.destroy()


# --- The site: environment, static files, gunicorn, Celery --------------------------------


def database_url_of_the_test_database() -> str:
    """pytest-django's test database, so a subprocess sees what the test commits."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{db['NAME']}"


STATIC_ROOT = Path(tempfile.gettempdir()) / f"traceobject-faults-static-{os.getpid()}"


def site_env(*, database_url: str, redis_url: str | None = None, **extra: str) -> dict:
    """What production runs with (bin/serve): DEBUG off, real secrets, real services."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        STATIC_ROOT=str(STATIC_ROOT),
        # The visitors below stand behind "a proxy" at 127.0.0.1, so each gets its own network.
        TRUSTED_PROXIES="127.0.0.1",
        LOG_LEVEL="WARNING",
        # The loopback is "the proxy" here, so /healthz/'s detail is read with the token.
        HEALTHZ_TOKEN=HEALTHZ_TOKEN,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def manage(*args: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def collected_static():
    """Production serves hashed static files from collectstatic's manifest: so do we."""
    # collectstatic reads no database; an SQLite path it never opens keeps it off PostgreSQL.
    env = site_env(database_url=f"sqlite:///{STATIC_ROOT}.sqlite3")
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    yield STATIC_ROOT
    shutil.rmtree(STATIC_ROOT, ignore_errors=True)


@dataclass
class Page:
    status: int  # 0: no HTTP answer at all (connection refused or reset)
    text: str
    cookies: list[str] = field(default_factory=list)
    headers: str = ""

    @property
    def receipt(self) -> str | None:
        found = re.search(r'id="receipt-code"[^>]*>([^<]+)<', self.text)
        return found.group(1).strip() if found else None


class Web:
    def __init__(self, process: Process, port: int):
        self.process = process
        self.port = port

    def request(self, method: str, path: str, *, body: str | None = None, headers=None) -> Page:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            return Page(
                response.status,
                text,
                response.msg.get_all("Set-Cookie") or [],
                headers=str(response.msg),
            )
        except (OSError, http.client.HTTPException) as exc:
            return Page(0, repr(exc))
        finally:
            conn.close()

    def health(self) -> tuple[int, dict]:
        import json

        page = self.request("GET", "/healthz/", headers={"X-Healthz-Token": HEALTHZ_TOKEN})
        try:
            return page.status, json.loads(page.text)
        except ValueError:
            return page.status, {}


@pytest.fixture
def start_web(processes, collected_static):
    def start(env: dict, *, workers: int = 2) -> Web:
        port = free_port()
        process = processes(
            "web",
            [
                str(BIN / "gunicorn"),
                "traceobject.wsgi:application",
                *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
                *("--timeout", "30", "--graceful-timeout", "2"),
            ],
            env=env,
        )
        web = Web(process, port)
        wait_until(
            lambda: web.request("GET", "/healthz/").status, seconds=30, what="gunicorn to answer"
        )
        return web

    return start


class Worker:
    def __init__(self, process: Process):
        self.process = process

    def wait_ready(self) -> None:
        wait_until(
            lambda: " ready." in self.process.output() or not self.process.running,
            seconds=30,
            what="the Celery worker to be ready",
        )
        assert self.process.running, self.process.output()[-3000:]

    def kill_child(self) -> int:
        """SIGKILL the pool process running the task, as the kernel's OOM killer would."""
        children = self.process.children()
        assert children, "the worker has no pool process"
        os.kill(children[0], signal.SIGKILL)
        return children[0]


@pytest.fixture
def start_worker(processes):
    def start(env: dict) -> Worker:
        process = processes(
            "worker",
            [
                str(BIN / "celery"),
                *("-A", "traceobject", "worker", "--pool", "prefork", "--concurrency", "1"),
                *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
                *("--hostname", f"faults-{free_port()}@%h"),
            ],
            env={**env, "LOG_LEVEL": "INFO"},
        )
        worker = Worker(process)
        worker.wait_ready()
        return worker

    return start


# --- Visitors -----------------------------------------------------------------------------


class Visitor:
    """One browser behind its own network: loads the form once (CSRF cookie and token),
    then posts tips, each with a freshly solved proof of work."""

    def __init__(self, web: Web, path: str, address: str):
        # Public pages live under a language prefix; a poster's unprefixed URL redirects.
        self.web, self.path, self.address = web, f"/en{path}", address
        self.token = self.cookie = ""

    def load(self) -> Visitor:
        page = self.web.request("GET", self.path, headers={"X-Forwarded-For": self.address})
        assert page.status == 200, (page.status, page.text[:500])
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        # The CSRF cookie is Secure (DEBUG is off), so it is sent back by hand over HTTP.
        cookie = next(c for c in page.cookies if c.startswith("csrftoken="))
        self.cookie = cookie.split(";", 1)[0]
        return self

    def send(self, **fields: str) -> Page:
        """Post the form, then follow the redirect to the receipt page as a browser would,
        with the receipt's cookie (Secure, so sent back by hand over HTTP)."""
        body = urlencode({**tip_data(**fields), "csrfmiddlewaretoken": self.token})
        answer = self.web.request(
            "POST",
            self.path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
                "X-Forwarded-For": self.address,
            },
        )
        if answer.status != 303:
            return answer
        receipt = next(c.split(";", 1)[0] for c in answer.cookies if c.startswith("receipt="))
        location = re.search(r"^Location: (\S+)", answer.headers, re.M)
        return self.web.request(
            "GET",
            location.group(1) if location else "/en/receipt/issued/",
            headers={"Cookie": f"{self.cookie}; {receipt}", "X-Forwarded-For": self.address},
        )


@dataclass
class Tally:
    """What visitors saw: every POST is a tip sent; a receipt page is a tip accepted."""

    sent: int = 0
    receipts: int = 0
    limited: int = 0
    errors: list[Page] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, page: Page) -> Page:
        with self.lock:
            self.sent += 1
            if page.receipt:
                self.receipts += 1
            elif page.status == 429:
                self.limited += 1
            else:
                self.errors.append(page)
        return page


# --- Mail ---------------------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                message = b"".join(iter(self.rfile.readline, b".\r\n"))
                self.server.messages.append(message.decode(errors="replace"))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[str] = []

    def reports_alerted(self) -> list[int]:
        """The urgent reports the alerts named, one entry per naming (a mail names every
        report not alerted yet, tips/alerts.py): a report named twice appears twice."""
        return [
            int(pk)
            for message in list(self.messages)
            for pk in re.findall(r"/tips/tip/(\d+)/change/", message)
        ]


@pytest.fixture
def smtp_sink():
    """A mail server that keeps what it is given, so the alerts the worker sends are counted."""
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()
    thread.join(timeout=5)


@pytest.fixture
def site_on_test_database(require_postgres, private_redis, settings) -> dict:
    """The environment for a private web server and worker: the test's own database (it is
    not the service being broken here), a private Redis, and heartbeats fast enough to see
    a worker go silent within seconds."""
    return site_env(
        database_url=database_url_of_the_test_database(),
        redis_url=private_redis.url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
        INTAKE_ROOT=str(settings.INTAKE_ROOT),
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_SILENT_SECONDS="3",
    )


@pytest.fixture
def alerts_to(smtp_sink) -> dict:
    """Settings that send the urgent-report alerts to the sink."""
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_sink.server_address[1]),
        "URGENT_ALERT_EMAILS": "duty@police.example",
    }
