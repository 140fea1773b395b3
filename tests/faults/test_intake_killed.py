"""The worker's pool process is SIGKILLed in the middle of an intake (the kernel's OOM
killer, a decoder crash). The object must end processed or failed, never stuck in draft;
an image that kills the worker every time must not be retried for ever."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from PIL import Image

from objects.intake import MAX_INTAKE_ATTEMPTS, STALLED_INTAKE_MINUTES
from objects.models import ObjectState, TracedObject
from objects.services import object_submit
from tests.factories import details
from tests.faults.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def slow_image() -> bytes:
    """A 12-megapixel noise PNG: its intake takes over a second, time enough to kill it."""
    buffer = io.BytesIO()
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@pytest.fixture
def intake_worker(site_on_test_database, start_worker, private_redis):
    worker = start_worker(site_on_test_database)
    return worker, Celery(broker=private_redis.url)


def draft(case, investigator, image: bytes) -> TracedObject:
    return object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(image),
        details=details(),
        queue_intake=False,
    )


def runs_and_state(pk: int) -> tuple[int, str]:
    return TracedObject.objects.filter(pk=pk).values_list("intake_attempts", "state").get()


def started_or_over(pk: int, run: int) -> bool:
    runs, state = runs_and_state(pk)
    return runs >= run or state != ObjectState.DRAFT


def files_in(folder) -> list[Path]:
    return [p for p in Path(folder).rglob("*") if p.is_file()] if Path(folder).exists() else []


def test_an_intake_killed_midway_runs_again_and_the_object_ends_processed(
    case, investigator, slow_image, intake_worker, settings
):
    worker, broker = intake_worker
    obj = draft(case, investigator, slow_image)
    broker.send_task("objects.tasks.intake_object", args=[obj.pk])
    wait_until(lambda: runs_and_state(obj.pk)[0] == 1, seconds=30, what="the intake to start")
    worker.kill_child()
    runs_at_kill, state_at_kill = runs_and_state(obj.pk)

    wait_until(
        lambda: runs_and_state(obj.pk)[1] != ObjectState.DRAFT,
        seconds=60,
        what="the object to leave draft",
    )
    runs, state = runs_and_state(obj.pk)
    print(f"killed during run {runs_at_kill} ({state_at_kill}); ended {state} after {runs} runs")
    assert state_at_kill == ObjectState.DRAFT  # the kill landed in the middle of the intake
    assert "exited with 'signal 9 (SIGKILL)'" in worker.process.output()
    assert state == ObjectState.AWAITING_APPROVAL and runs == 2
    assert files_in(settings.INTAKE_ROOT) == []
    # The display image and the thumbnail, private until the object is published.
    assert len(files_in(settings.PRIVATE_MEDIA_ROOT)) == 2
    assert files_in(settings.MEDIA_ROOT) == []


def test_an_intake_whose_whole_worker_was_killed_is_picked_up_by_the_stalled_intake_job(
    case, investigator, slow_image, intake_worker, start_worker, site_on_test_database
):
    worker, broker = intake_worker
    obj = draft(case, investigator, slow_image)
    broker.send_task("objects.tasks.intake_object", args=[obj.pk])
    wait_until(lambda: runs_and_state(obj.pk)[0] == 1, seconds=30, what="the intake to start")
    worker.process.kill()  # SIGKILL to the main process and its pool: nothing acks or rejects
    state_at_kill = runs_and_state(obj.pk)[1]

    # The unacknowledged message returns only after the visibility timeout (hours); the
    # beat job requeues drafts older than STALLED_INTAKE_MINUTES. Age the draft and send
    # the job as beat would, to a fresh worker.
    start_worker(site_on_test_database)
    TracedObject.objects.filter(pk=obj.pk).update(
        created_at=obj.created_at - timedelta(minutes=STALLED_INTAKE_MINUTES + 1)
    )
    broker.send_task("objects.tasks.requeue_stalled_intake")
    wait_until(
        lambda: runs_and_state(obj.pk)[1] != ObjectState.DRAFT,
        seconds=60,
        what="the object to leave draft",
    )
    runs, state = runs_and_state(obj.pk)
    print(f"whole worker killed during run 1 ({state_at_kill}); ended {state} after {runs} runs")
    assert state_at_kill == ObjectState.DRAFT
    assert state == ObjectState.AWAITING_APPROVAL and runs == 2


def test_an_image_that_kills_the_worker_every_time_ends_failed_instead_of_looping(
    case, investigator, slow_image, intake_worker, settings
):
    worker, broker = intake_worker
    obj = draft(case, investigator, slow_image)
    broker.send_task("objects.tasks.intake_object", args=[obj.pk])
    kills = 0
    # We play the poison: every run on this image gets its process killed. Bounded, so
    # that without a limit in the code this test fails instead of looping itself.
    for run in range(1, MAX_INTAKE_ATTEMPTS + 4):
        wait_until(
            lambda run=run: started_or_over(obj.pk, run), seconds=30, what=f"intake run {run}"
        )
        if runs_and_state(obj.pk)[1] != ObjectState.DRAFT:
            break
        worker.kill_child()
        kills += 1

    runs, state = runs_and_state(obj.pk)
    reason = TracedObject.objects.get(pk=obj.pk).failure_reason
    print(f"worker killed {kills} times; object {state} after {runs} runs: {reason}")
    assert kills == MAX_INTAKE_ATTEMPTS
    assert state == ObjectState.FAILED and runs == MAX_INTAKE_ATTEMPTS + 1
    assert "processing stopped before finishing 3 times" in reason
    assert files_in(settings.INTAKE_ROOT) == [] and files_in(settings.MEDIA_ROOT) == []
    assert files_in(settings.PRIVATE_MEDIA_ROOT) == []
