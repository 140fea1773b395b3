"""/metrics for Prometheus, only to whoever holds METRICS_TOKEN: never public."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from operations.collectors import PortalCollector
from traceobject import metrics


class _ThisProcess(Collector):
    """The counters of this process alone: right when nothing else serves the site."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def registry() -> CollectorRegistry:
    scraped = CollectorRegistry()
    if metrics.MULTIPROCESS:
        # Every gunicorn worker's counters, summed from the files they write there.
        MultiProcessCollector(scraped)
    else:
        scraped.register(_ThisProcess())
    scraped.register(PortalCollector())
    return scraped


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.METRICS_TOKEN}"
    return hmac.compare_digest(given.encode(), expected.encode())


@never_cache
@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404("metrics are turned off")
    if not _authorised(request):
        return HttpResponse(status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
