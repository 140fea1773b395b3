"""Gauges computed when Prometheus scrapes, from the database and the cache.

Computed, not kept in each process: every web worker answering a scrape sees the same
database, so any of them gives the true value, and no stale gauge of a dead worker lingers.
A source that fails (the database down) is reported as `traceobject_collector_up{source}`
0, and the gauges it feeds are left out rather than reported as zero.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from objects.models import ObjectState, TracedObject
from outbox.models import OutboxMessage
from tips.models import Tip, TipStatus
from tips.ratelimits import global_breakers
from traceobject.health import HEARTBEAT_KEY
from traceobject.metrics import PREFIX

logger = logging.getLogger(__name__)


def _age(oldest) -> float:
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def database_gauges() -> Iterator[GaugeMetricFamily]:
    urgent = Tip.objects.filter(status=TipStatus.NEW, urgent=True, assigned_to__isnull=True)
    waiting = urgent.aggregate(count=Count("pk"), oldest=Min("received_at"))
    yield _gauge(
        "urgent_reports_waiting",
        "Urgent reports new and taken by nobody.",
        waiting["count"],
    )
    yield _gauge(
        "urgent_report_oldest_waiting_seconds",
        "How long the oldest urgent report nobody has taken has waited (0: none).",
        _age(waiting["oldest"]),
    )
    by_status = dict(Tip.objects.values_list("status").annotate(n=Count("pk")).order_by())
    queue = GaugeMetricFamily(f"{PREFIX}_tips", "Tips by status.", labels=["status"])
    for status in TipStatus.values:
        queue.add_metric([status], by_status.get(status, 0))
    yield queue
    oldest_new = Tip.objects.filter(status=TipStatus.NEW).aggregate(oldest=Min("received_at"))
    yield _gauge(
        "tip_oldest_new_seconds",
        "How long the oldest new tip has waited for triage (0: none).",
        _age(oldest_new["oldest"]),
    )
    # The outbox's rows whose task has not run to its end (handed to the broker or not): work
    # a broker outage, a lost task or a lagging worker is holding back.
    unsent = OutboxMessage.objects.filter(done_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    yield _gauge("outbox_waiting", "Outbox messages whose task has not run yet.", unsent["count"])
    yield _gauge(
        "outbox_oldest_seconds",
        "How long the oldest outbox message not done yet has waited (0: none).",
        _age(unsent["oldest"]),
    )
    yield _gauge(
        "objects_failed",
        "Uploads whose intake failed, not yet deleted or fixed.",
        TracedObject.objects.filter(state=ObjectState.FAILED).count(),
    )


def cache_gauges() -> Iterator[GaugeMetricFamily]:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        last = cache.get(HEARTBEAT_KEY)
        yield _gauge(
            "worker_heartbeat_age_seconds",
            "Seconds since a Celery worker last wrote its heartbeat (+Inf: never).",
            float("inf") if last is None else max(0.0, time.time() - last),
        )
    yield _gauge(
        "worker_silent_threshold_seconds",
        "WORKER_SILENT_SECONDS: a heartbeat older than this is a silent worker.",
        settings.WORKER_SILENT_SECONDS,
    )
    breakers = GaugeMetricFamily(
        f"{PREFIX}_breaker_open",
        "1 while a global rate limit (a breaker shared by everyone) refuses tips.",
        labels=["rule"],
    )
    for rule, open_now in global_breakers().items():
        breakers.add_metric([rule], 1 if open_now else 0)
    yield breakers


class PortalCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            f"{PREFIX}_collector_up",
            "1 when the gauges read from this source could be computed at this scrape.",
            labels=["source"],
        )
        for source, gauges in (("database", database_gauges), ("cache", cache_gauges)):
            try:
                found = list(gauges())
            except Exception as exc:
                logger.warning("metrics: %s gauges not computed: %r", source, exc)
                up.add_metric([source], 0)
                if source == "database":
                    connection.close()  # a broken connection must not serve the next request
                continue
            up.add_metric([source], 1)
            yield from found
        yield up
