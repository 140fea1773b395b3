"""The intake task through a real Celery worker, Redis broker and PostgreSQL database."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.db import connection

from objects.models import ObjectState, TracedObject
from objects.services import object_submit
from tests.factories import details, synthetic_png

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def separate_redis_db(url: str) -> str:
    """A Redis database of its own, so no other worker on this machine takes our task."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/14"))


@pytest.fixture
def worker(require_postgres, redis_url, settings, tmp_path):
    broker = separate_redis_db(redis_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_the_test_database(),
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "INTAKE_ROOT": str(settings.INTAKE_ROOT),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "traceobject",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield Celery(broker=broker)
    process.terminate()
    output, _ = process.communicate(timeout=30)
    print(output)


def wait_for_state(pk: int, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = TracedObject.objects.get(pk=pk).state
        if state != ObjectState.DRAFT:
            return state
        time.sleep(0.2)
    return ObjectState.DRAFT


def test_a_real_worker_processes_an_upload(worker, case, investigator, settings):
    obj = object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(synthetic_png(seed=7)),
        details=details(),
        queue_intake=False,
    )
    worker.send_task("objects.tasks.intake_object", args=[obj.pk])
    assert wait_for_state(obj.pk) == ObjectState.AWAITING_APPROVAL
    obj.refresh_from_db()
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / obj.display.name).exists()
    assert not (Path(settings.MEDIA_ROOT) / obj.display.name).exists()
    assert list(Path(settings.INTAKE_ROOT).iterdir()) == []
