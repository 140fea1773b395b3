"""Prometheus counters for events, counted where they happen; /metrics serves them (operations/).

Counts only: no label holds visitor data, tip text or any other unbounded value (views by
their URL name, refusals by a fixed reason, status codes by class). Under gunicorn each
worker writes its counts to PROMETHEUS_MULTIPROC_DIR (set by traceobject/gunicorn_conf.py),
so a scrape answered by any worker adds up all of them. Gauges (queue, outbox, worker) are
not here: operations/collectors.py computes them from the database at scrape time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

PREFIX = "traceobject"
# Read once, as prometheus_client itself does when first imported: whether this process
# writes its counts to files that a scrape sums, or keeps them in memory.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

TIPS_ACCEPTED = Counter(
    f"{PREFIX}_tips_accepted",
    "Tips and reports stored from the public forms.",
    ["kind", "urgent"],
)


class Refusal:
    """Why a public tip or report was not stored: the only values of the `reason` label."""

    NETWORK_LIMIT = "network_limit"  # this network's own budget
    INVALID_FORM = "invalid_form"
    PROOF_OF_WORK = "proof_of_work"  # a solution replayed or expired
    ALREADY_RECEIVED = "already_received"  # the same form sent twice: its receipt again


TIPS_REFUSED = Counter(
    f"{PREFIX}_tips_refused",
    "Tips and reports not stored, by reason.",
    ["kind", "reason"],
)
PAGE_CACHE = Counter(
    f"{PREFIX}_page_cache_requests",
    "Cacheable public page requests, served from the page cache (hit) or rendered (miss).",
    ["result"],
)
INTAKE_FAILURES = Counter(
    f"{PREFIX}_intake_failures",
    "Uploads the intake refused (counted in the process that ran the intake).",
)
REQUEST_SECONDS = Histogram(
    f"{PREFIX}_request_duration_seconds",
    "Time to answer a request, by view (URL name).",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter(
    f"{PREFIX}_responses",
    "Responses by view (URL name) and status class (2xx … 5xx).",
    ["view", "status"],
)

# A request no URL matched, and a page served from the page cache before any URL was resolved.
UNRESOLVED_VIEW = "unresolved"
PAGE_CACHE_VIEW = "page_cache"
PAGE_CACHE_HEADER = "X-Page-Cache"


def view_label(request: HttpRequest, response: HttpResponse) -> str:
    """The URL name (`tips:tip_create`), a bounded set; never the path, which holds codes."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if response.get(PAGE_CACHE_HEADER) == "hit":
        return PAGE_CACHE_VIEW
    return UNRESOLVED_VIEW


class MetricsMiddleware:
    """First in MIDDLEWARE: times every request, page-cache hits and redirects included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request, response)
        REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)
        RESPONSES.labels(view=view, status=f"{response.status_code // 100}xx").inc()
        return response
