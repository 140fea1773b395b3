"""Public pages under load: the production-like stack against a hello-world Django view.

    make bench        (this, then the back office at 1 k and 100 k, then the intake)
    GUNICORN_CMD_ARGS="--worker-class sync --workers 4" python bench/web.py   (another shape)

Starts, on 127.0.0.1 and a database of its own (BENCH_DB, default `perf`, dropped and
created again; Redis BENCH_REDIS_URL, default db 9): gunicorn as `make serve` runs it
(traceobject/gunicorn_conf.py: WEB_CONCURRENCY processes of WEB_THREADS threads;
GUNICORN_CMD_ARGS overrides it, to compare shapes), a Celery worker, and a second gunicorn
with the same settings serving only a hello-world view. wrk loads each page for
BENCH_SECONDS (10 by default) with 2 threads, and one table is printed: req/s, p50 and p99,
and the ratio to hello world at the same number of clients.

Tip POSTs carry a proof of work solved ahead and a CSRF token fetched once; accepted tips
are counted in the database (a refused POST answers 200 too). The last rows load the
gallery while a 16-client tip burst runs: do page views stay quick while tips are hashed?
Rate limits are lifted for the run (bench/settings.py): all load comes from one address.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
DB = os.environ.get("BENCH_DB", "perf")
PG = "postgres://postgres@127.0.0.1:5432"
APP_PORT, HELLO_PORT = 8181, 8182
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
BURST_CLIENTS = 16
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "false",
    "SECRET_KEY": SECRET,
    "TIP_CONTACT_KEYS": base64.urlsafe_b64encode(hashlib.sha256(SECRET.encode()).digest()).decode(),
    "SITE_URL": "http://127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "CACHE_KEY_PREFIX": f"bench-{DB}",
    "ALTCHA_MAX_NUMBER": "1000",
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
    "INTAKE_ROOT": str(ROOT / "var" / "bench-intake"),
    "LOG_LEVEL": "WARNING",
}

# Public pages live under a language prefix (/en/, /de/, …): an unprefixed path answers a
# redirect, which wrk would count as a success. Each filter combination in every language.
GALLERY_QUERIES = [
    "",
    "?category=packaging",
    "?region=Europe",
    "?hide_identified=1",
    "?category=clothing&region=Europe&hide_identified=1",
    "?page=2",
]

# wrk scripts: cycle through paths, or through pre-made POST bodies (each used once).
ROTATE_LUA = """
paths = {%s}
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""
POST_LUA = """
local counter = 1
local threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies = {}
  local i = 0
  for line in io.lines("%(bodies)s") do
    if i %% %(threads)d == id - 1 then table.insert(bodies, line) end
    i = i + 1
  end
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "%(cookie)s"
end
request = function()
  n = n + 1
  return wrk.format("POST", "%(path)s", nil, bodies[((n - 1) %% #bodies) + 1])
end
"""


def run(*args: str, **kwargs: Any) -> str:
    return subprocess.run(
        args, cwd=ROOT, env=kwargs.pop("env", ENV), check=True, capture_output=True, text=True
    ).stdout


def manage(*args: str, debug: bool = False) -> str:
    env = {**ENV, "DEBUG": "true"} if debug else ENV
    return run(PY, "manage.py", *args, env=env)


def database_fresh() -> None:
    run("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    run("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")


def sql(query: str) -> str:
    return run("psql", "-h", "127.0.0.1", "-U", "postgres", "-qtA", DB, "-c", query).strip()


def wait_http(port: int, path: str = "/", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"bench: nothing answers on port {port}")


@contextlib.contextmanager
def stack() -> Iterator[None]:
    """gunicorn (as bin/serve starts it), a Celery worker, and the hello-world gunicorn."""
    procs = []
    gunicorn = [
        str(BIN / "gunicorn"),
        "traceobject.wsgi:application",
        "-c",
        "python:traceobject.gunicorn_conf",
    ]
    with open(ROOT / "var" / "bench-stack.log", "w") as log:
        for settings_module, port in (
            ("bench.settings", APP_PORT),
            ("bench.hello_settings", HELLO_PORT),
        ):
            env = {**ENV, "DJANGO_SETTINGS_MODULE": settings_module}
            cmd = [*gunicorn, "--bind", f"127.0.0.1:{port}"]
            procs.append(
                subprocess.Popen(
                    cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
                )
            )
        worker = [
            str(BIN / "celery"),
            "-A",
            "traceobject",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
        ]
        procs.append(
            subprocess.Popen(
                worker, cwd=ROOT, env=ENV, stdout=log, stderr=log, start_new_session=True
            )
        )
        try:
            wait_http(APP_PORT)
            wait_http(HELLO_PORT)
            yield
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def wrk(port: int, path: str = "/", *, script: str | None = None, connections: int = 32) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", script]
    out = run(*args, f"http://127.0.0.1:{port}{path}")
    rate = float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p50": _ms(_found(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(_found(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _found(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"bench: no {pattern!r} in wrk's output:\n{text}")
    return match


def _ms(value: str) -> float:
    number, unit = _found(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def answers_200(path: str) -> None:
    """wrk counts a redirect as a success: make sure a page is the page, not a redirect."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{APP_PORT}{path}").read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"bench: {path} answers {exc.code}, not 200") from exc


def lua(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, dir=ROOT / "var") as f:
        f.write(text)
    return f.name


def form_session(path: str) -> tuple[str, str]:
    """A CSRF cookie and token, as a browser has them after opening the form once."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"http://127.0.0.1:{APP_PORT}{path}").read().decode()
    token = _found(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def solved_proofs(count: int) -> list[str]:
    """Proofs of work solved ahead, as the browser widget sends them."""
    import altcha

    key = hashlib.sha256(f"altcha:{SECRET}".encode()).hexdigest()
    proofs = []
    for _ in range(count):
        challenge = altcha.create_challenge(hmac_key=key, max_number=1000)  # type: ignore[call-overload]
        solution = altcha.solve_challenge(challenge.challenge, challenge.salt, max_number=1000)
        payload = {
            "algorithm": challenge.algorithm,
            "challenge": challenge.challenge,
            "number": solution.number,  # type: ignore[union-attr]
            "salt": challenge.salt,
            "signature": challenge.signature,
        }
        proofs.append(base64.b64encode(json.dumps(payload).encode()).decode())
    return proofs


def tip_script(code: str, count: int) -> str:
    from urllib.parse import urlencode

    path = f"/en/objects/{code}/tip/"
    cookie, token = form_session(path)
    bodies = ROOT / "var" / "bench-tip-bodies.txt"
    with open(bodies, "w") as out:
        for n, proof in enumerate(solved_proofs(count)):
            fields = {
                "csrfmiddlewaretoken": token,
                "body": f"Bench tip {n}: the Sunny brand, sold in Lidl shops in Poland.",
                "country": "PL",
                "where": "Supermarkets",
                "links": "",
                "contact": "",
                "website": "",
                "altcha": proof,
                "submission": secrets.token_urlsafe(24),  # one per form shown: one tip each
            }
            out.write(urlencode(fields) + "\n")
    return lua(POST_LUA % {"bodies": bodies, "threads": 2, "cookie": cookie, "path": path})


def receipt_script(receipt: str) -> str:
    from urllib.parse import urlencode

    cookie, token = form_session("/en/receipt/")
    bodies = ROOT / "var" / "bench-receipt-bodies.txt"
    # One line per wrk thread: each thread takes the lines of its own rank.
    bodies.write_text((urlencode({"csrfmiddlewaretoken": token, "receipt": receipt}) + "\n") * 2)
    return lua(
        POST_LUA % {"bodies": bodies, "threads": 2, "cookie": cookie, "path": "/en/receipt/"}
    )


def tips_count() -> int:
    return int(sql("SELECT count(*) FROM tips_tip"))


def a_receipt() -> str:
    code = (
        "from tips.services import TipContent, tip_receive\n"
        "from objects.models import TracedObject\n"
        "obj = TracedObject.objects.public().first()\n"
        "r = tip_receive(content=TipContent(body='A bench tip for the receipt page.', country='',"
        " where='', links=[], contact=''), language='en', traced_object=obj, urgent=False)\n"
        "print(r.receipt)\n"
    )
    return manage("shell", "-c", code).strip().splitlines()[-1]


def in_process_gallery_ms() -> float:
    """The gallery view rendered in-process, no page cache: what a cache miss costs."""
    code = (
        "import time, statistics\n"
        "from django.test import RequestFactory\n"
        "from objects.views import gallery\n"
        "rf = RequestFactory()\n"
        f"paths = {['/en/' + query for query in GALLERY_QUERIES]!r}\n"
        "for p in paths: gallery(rf.get(p))\n"
        "runs = []\n"
        "for _ in range(20):\n"
        "    for p in paths:\n"
        "        t = time.perf_counter(); gallery(rf.get(p)); runs.append(time.perf_counter() - t)\n"
        "print(statistics.median(runs) * 1000)\n"
    )
    return float(manage("shell", "-c", code).strip().splitlines()[-1])


def shape() -> str:
    """The worker shape gunicorn runs with, as gunicorn itself reads it (config + overrides)."""
    code = (
        "from gunicorn.config import Config\n"
        "import os\n"
        "c = Config()\n"
        "c.set('config', 'python:traceobject.gunicorn_conf')\n"
        "import traceobject.gunicorn_conf as g\n"
        "for k in ('workers', 'worker_class', 'threads'): c.set(k, getattr(g, k))\n"
        "args = c.parser().parse_args(os.environ.get('GUNICORN_CMD_ARGS', '').split())\n"
        "for k, v in vars(args).items():\n"
        "    if v is not None and k in c.settings: c.set(k, v)\n"
        "print(f'{c.workers} {c.worker_class_str} workers x {c.threads} threads')\n"
    )
    return run(PY, "-c", code).strip()


def during_burst(gallery: str, clients: int, code: str) -> dict:
    """The gallery loaded by `clients` while BURST_CLIENTS others post tips to `code`."""
    script = tip_script(code, 3000)
    before = tips_count()
    burst = subprocess.Popen(
        [
            "wrk",
            "-t1",
            f"-c{BURST_CLIENTS}",
            f"-d{SECONDS + 1}s",
            "-s",
            script,
            f"http://127.0.0.1:{APP_PORT}/",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        result = wrk(APP_PORT, script=gallery, connections=clients)
    finally:
        burst.wait()
    result["note"] = f"{(tips_count() - before) / (SECONDS + 1):.1f} tips accepted/s meanwhile"
    return result


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")
    (ROOT / "var").mkdir(exist_ok=True)
    started = time.monotonic()
    database_fresh()
    manage("seed_load", "--tips", "1000", "--audit", "1000", debug=True)
    codes = sql(
        "SELECT code FROM objects_tracedobject WHERE state IN ('published', 'identified') ORDER BY id"
    ).split()
    receipt = a_receipt()
    languages = (
        manage("shell", "-c", "from django.conf import settings; print(*dict(settings.LANGUAGES))")
        .splitlines()[-1]
        .split()
    )
    rows: list[tuple[str, int, dict]] = []
    gallery_paths = [f"/{lang}/{query}" for lang in languages for query in GALLERY_QUERIES]
    object_paths = [f"/{languages[n % len(languages)]}/objects/{c}/" for n, c in enumerate(codes)]
    gallery = lua(ROTATE_LUA % ", ".join(f'"{p}"' for p in gallery_paths))
    objects = lua(ROTATE_LUA % ", ".join(f'"{p}"' for p in object_paths))
    with stack():
        for path in (*gallery_paths, *object_paths):
            answers_200(path)
        # One untimed pass so every worker has its connections and templates warm.
        wrk(APP_PORT, script=gallery)
        for clients in (8, 32):
            rows.append(("hello world", clients, wrk(HELLO_PORT, connections=clients)))
            rows.append(
                (
                    "gallery (6 filter combinations)",
                    clients,
                    wrk(APP_PORT, script=gallery, connections=clients),
                )
            )
        rows.append(("object page", 32, wrk(APP_PORT, script=objects)))
        rows.append(("receipt lookup (POST)", 32, wrk(APP_PORT, script=receipt_script(receipt))))
        for clients in (8, 32):
            before = tips_count()
            result = wrk(APP_PORT, script=tip_script(codes[0], 3000), connections=clients)
            result["note"] = f"{(tips_count() - before) / SECONDS:.1f} tips accepted/s"
            rows.append(("tip POST", clients, result))
        for clients in (8, 32):
            rows.append(
                (
                    f"gallery during a {BURST_CLIENTS}-client tip burst",
                    clients,
                    during_burst(gallery, clients, codes[1]),
                )
            )
    hello = {clients: r["rps"] for name, clients, r in rows if name == "hello world"}
    print(f"\nPublic pages: wrk -t2 -d{SECONDS}s, gunicorn {shape()}, {os.cpu_count()} cores")
    print(
        f"{'page':<40} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8}  note"
    )
    for name, clients, r in rows:
        note = r.get("note", "")
        if r["errors"]:
            note += f" {r['errors']} non-2xx"
        print(
            f"{name:<40} {clients:>7} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}"
            f" {r['rps'] / hello[clients]:>8.2f}  {note}"
        )
    print(f"gallery rendered in-process, no page cache: {in_process_gallery_ms():.1f} ms (median)")
    print(f"(web bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
