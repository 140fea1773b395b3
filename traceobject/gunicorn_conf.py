"""gunicorn's settings wherever traceobject is served (bin/serve, the Dockerfile,
docker-compose.yml, bench/web.py): `gunicorn traceobject.wsgi:application -c
python:traceobject.gunicorn_conf --bind …`. WEB_CONCURRENCY processes (2) of WEB_THREADS
threads (16); GUNICORN_CMD_ARGS overrides any of it. Why threads: docs/architecture.md."""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

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


def on_starting(server: object) -> None:
    """gunicorn's hook, in the master before any worker is forked (workers inherit its
    environment): the folder exists and holds no counts from a past run."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="traceobject-metrics-")
        _own_metrics_dir.append(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: Any) -> None:
    """gunicorn's hook: a worker is gone; its counters stay counted, its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: object) -> None:
    for folder in _own_metrics_dir:
        shutil.rmtree(folder, ignore_errors=True)


def warm_up() -> None:
    """What the apps registered to build before the first request (traceobject/warmup.py)."""
    from traceobject.warmup import warm_up as run  # once Django is set up

    run()


def post_worker_init(worker: object) -> None:
    """gunicorn's hook: the worker has loaded the application (Django is set up)."""
    warm_up()
