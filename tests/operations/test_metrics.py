"""/metrics as Prometheus meets it: behind its token, with every metric, counts only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from objects.models import ObjectState, TracedObject
from outbox.models import OutboxMessage
from tests.tips.conftest import tip_data
from tips.models import Tip, TipStatus

pytestmark = pytest.mark.django_db
TOKEN = "a-long-random-metrics-token"
SECRET_BODY = "Sold only at the Kowalski corner shop, Grochowska street."


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_not_found_while_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_are_refused_without_the_token_or_with_a_wrong_one(client, metrics_on):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")


def test_tips_accepted_and_refused_are_counted_by_reason_without_their_text(
    client, metrics_on, public_object
):
    before = scrape(client)
    path = f"/en/objects/{public_object.code}/tip/"
    sent = client.post(path, tip_data(body=SECRET_BODY))
    assert sent.status_code == 303
    resent = tip_data(body=SECRET_BODY + " again")
    client.post(path, resent)
    # The same form sent again (a reload, its puzzle solved afresh): one tip, its receipt.
    client.post(path, {**resent, "altcha": tip_data()["altcha"]})
    client.post(path, tip_data(body=""))  # invalid
    client.post("/en/report/", tip_data(body="A child in danger now.", danger_now="on"))

    after = scrape(client)
    accepted = "traceobject_tips_accepted_total"
    refused = "traceobject_tips_refused_total"
    assert (
        value(after, accepted, kind="object", urgent="false")
        - value(before, accepted, kind="object", urgent="false")
        == 2
    )
    assert (
        value(after, accepted, kind="report", urgent="true")
        - value(before, accepted, kind="report", urgent="true")
        == 1
    )
    for reason, count in (("already_received", 1), ("invalid_form", 1)):
        delta = value(after, refused, kind="object", reason=reason) - value(
            before, refused, kind="object", reason=reason
        )
        assert delta == count, reason
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "Kowalski" not in text and public_object.code not in text
    assert "127.0.0.1" not in text


def test_the_queue_urgent_reports_and_outbox_are_read_from_the_database_at_scrape_time(
    client, metrics_on, public_object
):
    client.post("/en/report/", tip_data(body="A child in danger now.", danger_now="on"))
    for _ in range(2):
        client.post(f"/en/objects/{public_object.code}/tip/", tip_data())
    Tip.objects.filter(urgent=True).update(received_at=timezone.now() - timedelta(minutes=12))
    Tip.objects.filter(urgent=False).update(status=TipStatus.IN_REVIEW)
    OutboxMessage.objects.create(
        task="tips.tasks.analyse_tip", created_at=timezone.now() - timedelta(minutes=7)
    )
    TracedObject.objects.filter(pk=public_object.pk).update(state=ObjectState.FAILED)

    samples = scrape(client)

    assert value(samples, "traceobject_urgent_reports_waiting") == 1
    assert 12 * 60 <= value(samples, "traceobject_urgent_report_oldest_waiting_seconds") < 13 * 60
    assert value(samples, "traceobject_tips", status="new") == 1
    assert value(samples, "traceobject_tips", status="in_review") == 2
    assert value(samples, "traceobject_tips", status="closed") == 0
    assert value(samples, "traceobject_tip_oldest_new_seconds") >= 12 * 60
    assert value(samples, "traceobject_outbox_waiting") >= 1
    assert value(samples, "traceobject_outbox_oldest_seconds") >= 7 * 60
    assert value(samples, "traceobject_objects_failed") == 1
    assert value(samples, "traceobject_breaker_open", rule="tip-global") == 0
    assert value(samples, "traceobject_collector_up", source="database") == 1
    assert value(samples, "traceobject_collector_up", source="cache") == 1


def test_the_global_breaker_shows_open_once_its_budget_is_spent(
    client, metrics_on, public_object, settings
):
    settings.TIP_RATE_LIMITS = [("tip-global", "global", "2/h")]
    accepted = ("traceobject_tips_accepted_total", {"kind": "object", "urgent": "false"})
    before = value(scrape(client), accepted[0], **accepted[1])  # counters are per process
    for _ in range(3):
        client.post(f"/en/objects/{public_object.code}/tip/", tip_data())

    samples = scrape(client)

    assert value(samples, "traceobject_breaker_open", rule="tip-global") == 1
    # A breaker holds, never refuses: all three were stored (the third held for the analysts).
    assert value(samples, accepted[0], **accepted[1]) - before == 3


def test_the_worker_heartbeat_age_and_its_threshold_are_given(client, metrics_on, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.WORKER_SILENT_SECONDS = 45
    from traceobject.health import worker_heartbeat_write

    silent = scrape(client)
    worker_heartbeat_write()
    beating = scrape(client)

    assert value(silent, "traceobject_worker_heartbeat_age_seconds") == float("inf")
    assert value(beating, "traceobject_worker_heartbeat_age_seconds") < 5
    assert value(beating, "traceobject_worker_silent_threshold_seconds") == 45


def test_page_cache_hits_misses_and_latency_are_counted_per_view_name(
    client, metrics_on, public_object
):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/en/").status_code == 200
    client.get("/en/no-such-page/")

    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # The first gallery and the 404 page were looked up and rendered; two galleries were hits.
    assert delta("traceobject_page_cache_requests_total", result="miss") == 2
    assert delta("traceobject_page_cache_requests_total", result="hit") == 2
    assert delta("traceobject_request_duration_seconds_count", view="page_cache") == 2
    assert delta("traceobject_responses_total", view="unresolved", status="4xx") == 1
    views = {
        labels for name, labels in after if name == "traceobject_request_duration_seconds_count"
    }
    assert all(not dict(labels)["view"].startswith("/") for labels in views)
