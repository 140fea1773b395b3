"""The web path for real: tips posted through the form are relayed by the outbox after
commit to a Celery worker (Redis broker, PostgreSQL), which groups them."""

from __future__ import annotations

import time

import pytest

from tests.objects.test_worker import worker  # noqa: F401 (a fixture: the real worker)
from tests.tips.conftest import tip_data
from tests.tips.test_outages import use_broker
from tips.models import Tip

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BASE = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk, Poland."


@pytest.fixture
def relayed_to_the_worker(worker):  # noqa: F811
    from traceobject.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    use_broker(task_always_eager=False, broker_url=worker.conf.broker_url)
    yield
    use_broker(**saved)


def wait_until_analysed(count: int, seconds: float = 60) -> list[Tip]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tips = list(Tip.objects.filter(signature__isnull=False))
        if len(tips) >= count:
            return tips
        time.sleep(0.2)
    return list(Tip.objects.filter(signature__isnull=False))


def test_tips_sent_through_the_form_join_one_group_once_the_worker_has_run(
    client, public_object, relayed_to_the_worker
):
    bodies = [BASE, BASE.lower(), "Hello! " + BASE]
    for n, body in enumerate(bodies):
        response = client.post(
            f"/en/objects/{public_object.code}/tip/",
            tip_data(body=body),
            REMOTE_ADDR=f"192.0.2.{n + 1}",
        )
        assert response.status_code == 303  # to the receipt page
    tips = wait_until_analysed(len(bodies))
    assert len(tips) == 3
    assert len({tip.group_id for tip in tips}) == 1 and tips[0].group_id is not None
    assert tips[0].claims.filter(kind="country", value="PL").exists()
