"""gunicorn's settings wherever traceobject is served (bin/serve, the Dockerfile,
docker-compose.yml, bench/web.py): `gunicorn traceobject.wsgi:application -c
python:traceobject.gunicorn_conf --bind …`. Environment: WEB_CONCURRENCY processes (2),
WEB_THREADS threads in each (16); GUNICORN_CMD_ARGS overrides any of it.

Threads rather than sync workers, for tip bursts: a tip POST spends ~35 ms of CPU in scrypt
(tips.crypto.receipt_hash). With 4 sync workers on 2 cores a burst of tips held every
worker and page views queued behind them (gallery p99 ≈ 3 s). hashlib.scrypt releases the
GIL, and at most one receipt is hashed at once per process (tips.crypto), so a tip waiting
for its turn holds a thread but no CPU: page views find a free thread while the tips in
flight stay below the threads, and compete for CPU with at most WEB_CONCURRENCY hashings.
Each thread keeps its own database connection (DB_CONN_MAX_AGE): PostgreSQL must allow
WEB_CONCURRENCY × WEB_THREADS per node (docs/scaling.md).
"""

import os
import shutil
import tempfile
from pathlib import Path

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = 60
# No access log: it would record visitors' addresses.
accesslog = None

# Each worker writes its metrics' counts to files in PROMETHEUS_MULTIPROC_DIR, so that
# /metrics answered by any worker sums all of them (prometheus_client's multiprocess mode).
# Without one configured, a fresh folder for this server, removed when it stops.
_own_metrics_dir: list[str] = []


def on_starting(server) -> None:
    """gunicorn's hook, in the master before any worker is forked (workers inherit its
    environment): the folder exists and holds no counts from a past run."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="traceobject-metrics-")
        _own_metrics_dir.append(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """gunicorn's hook: a worker is gone; its counters stay counted, its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    for folder in _own_metrics_dir:
        shutil.rmtree(folder, ignore_errors=True)


# Built once per process before its first request, instead of during it: the CLDR country
# names in every language that the tip page's claim marks need (0.3 s, tips/claims.py).
# Dotted names, as the project package imports no app.
WARM_UP = ("tips.claims.country_names",)


def warm_up() -> None:
    from django.utils.module_loading import import_string

    for name in WARM_UP:
        import_string(name)()


def post_worker_init(worker) -> None:
    """gunicorn's hook: the worker has loaded the application (Django is set up)."""
    warm_up()
