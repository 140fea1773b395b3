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

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = 60
# No access log: it would record visitors' addresses.
accesslog = None


def warm_up() -> None:
    """What the apps registered to build before the first request (traceobject/warmup.py)."""
    from traceobject.warmup import warm_up as run  # once Django is set up

    run()


def post_worker_init(worker: object) -> None:
    """gunicorn's hook: the worker has loaded the application (Django is set up)."""
    warm_up()
