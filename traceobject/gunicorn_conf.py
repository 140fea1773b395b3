"""gunicorn's settings wherever traceobject is served (bin/serve, the Dockerfile,
docker-compose.yml, bench/web.py): `gunicorn traceobject.wsgi:application -c
python:traceobject.gunicorn_conf --bind …`. WEB_CONCURRENCY processes (2) of WEB_THREADS
threads (16); GUNICORN_CMD_ARGS overrides any of it. Why threads: docs/architecture.md."""

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
