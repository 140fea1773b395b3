"""Celery is configured for idempotent tasks that are never lost, and failures are recorded."""

import pytest
from django.conf import settings

from audit.models import FailedTask
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


def test_it_serialises_json_only_and_acknowledges_late():
    conf = celery_app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_the_visibility_timeout_outlasts_any_task_and_countdown():
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    longest = settings.CELERY_TASK_TIME_LIMIT + RetryingTask.retry_backoff_max
    assert RetryingTask.retry_backoff_max == settings.CELERY_MAX_COUNTDOWN
    assert visibility > longest


def test_the_beat_schedule_names_only_registered_tasks():
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


@celery_app.task(base=RetryingTask, bind=True, max_retries=2, retry_backoff=False)
def always_fails(self, object_id: int):
    raise ValueError(f"cannot process {object_id}")


@pytest.mark.django_db
def test_a_task_that_fails_for_good_is_recorded():
    result = always_fails.delay(42)
    assert result.failed()
    failure = FailedTask.objects.get()
    assert failure.task_name.endswith("always_fails")
    assert failure.args == [42]
    assert "cannot process 42" in failure.error
