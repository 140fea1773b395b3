"""Public pages that take tips, reports and receipts.

A POST to the tip and report forms goes through these steps, in this order:

1. the per-network rules count it, valid or not, before anything else is looked at;
2. the form is validated, the proof of work verified but not yet used up;
3. the shared rules (per object, global) are looked at without counting: over one, the
   request is refused and the solution stays usable, so the visitor can send it later;
4. the solution is used up in one atomic step (a replay, even a concurrent one, stops here);
5. the tip is stored, and only then counted against the shared rules.

So junk, replays and requests that fail (a database outage) never use up a budget others
share. Look-then-count lets concurrent requests pass a shared limit by at most their number.
An urgent report is never refused by a shared rule: over one, it is taken and marked
"held by breaker" for the analysts. Receipt checks have per-network rules only: a global
one would let one client lock every tipster out of their receipts.

The pages are never cached (they carry a CSRF token, and a receipt must never sit in a cache).
"""

from __future__ import annotations

from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from objects.selectors import object_public_get
from tips.crypto import receipt_format, receipt_normalise
from tips.forms import FollowUpForm, ReceiptForm, ReportForm, TipForm
from tips.models import Tip
from tips.ratelimits import LimitHit, limits_hit, network_limits_hit, shared_limits_hit
from tips.services import ReceivedTip, tip_add_follow_up, tip_by_receipt, tip_receive

# The proof-of-work widget runs its hashing in a Web Worker it builds from a blob: URL.
PROOF_OF_WORK_CSP = {"worker-src": ["'self'", "blob:"]}


def public_form_page(view):
    """GET shows the form, POST sends it; never cached; other methods get a 405 page."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in {"GET", "HEAD", "POST"}:
            return method_not_allowed(request, ["GET", "POST"])
        return view(request, *args, **kwargs)

    return wrapped


def method_not_allowed(request: HttpRequest, allowed: list[str]) -> HttpResponse:
    response = render(request, "405.html", {"allowed": allowed}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def rate_limited(request: HttpRequest, hit: LimitHit) -> HttpResponse:
    # Give the visitor back what they wrote, so a limit never loses their text.
    written = request.POST.get("body", "")[:5000]
    response = render(
        request,
        "tips/rate_limited.html",
        {"hit": hit, "written": written, "emergency_contacts": settings.EMERGENCY_CONTACTS},
        status=429,
    )
    response["Retry-After"] = str(hit.retry_after_seconds)
    return response


def receipt_issued(request: HttpRequest, received: ReceivedTip) -> HttpResponse:
    return render(
        request,
        "tips/receipt_issued.html",
        {
            "receipt": receipt_format(received.receipt),
            "tip": received.tip,
            "receipt_url": reverse("tips:receipt"),
            "emergency_contacts": settings.EMERGENCY_CONTACTS,
        },
    )


@csp_update(PROOF_OF_WORK_CSP)
@public_form_page
def tip_create(request: HttpRequest, code: str) -> HttpResponse:
    obj = object_public_get(code=code)
    if obj is None:
        raise Http404("No public object with this code.")
    form = TipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        rules = settings.TIP_RATE_LIMITS
        if hit := network_limits_hit(request, rules):
            return rate_limited(request, hit)
        if form.is_valid():
            if hit := shared_limits_hit(request, rules, scope=obj.code):
                return rate_limited(request, hit)
            if form.proof_of_work_use():
                received = tip_receive(
                    content=form.content(), language=request.LANGUAGE_CODE, traced_object=obj
                )
                shared_limits_hit(request, rules, scope=obj.code, increment=True)
                return receipt_issued(request, received)
    return render(request, "tips/tip_form.html", {"form": form, "obj": obj})


@csp_update(PROOF_OF_WORK_CSP)
@public_form_page
def report_create(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        rules = settings.REPORT_RATE_LIMITS
        if hit := network_limits_hit(request, rules):
            return rate_limited(request, hit)
        if form.is_valid():
            urgent = form.cleaned_data["danger_now"]
            breaker = shared_limits_hit(request, rules)
            if breaker and not urgent:
                return rate_limited(request, breaker)
            if form.proof_of_work_use():
                received = tip_receive(
                    content=form.content(),
                    language=request.LANGUAGE_CODE,
                    urgent=urgent,
                    held_by_breaker=breaker is not None,
                )
                shared_limits_hit(request, rules, increment=True)
                return receipt_issued(request, received)
    return render(
        request,
        "tips/report_form.html",
        {"form": form, "emergency_contacts": settings.EMERGENCY_CONTACTS},
    )


def _receipt_lookup(request: HttpRequest, receipt: str) -> Tip | LimitHit | None:
    """Find the tip, counting a wrong receipt against its own, much smaller budget."""
    rules = [rule for rule in settings.RECEIPT_WRONG_LIMITS if rule[1] == "network"]
    if hit := limits_hit(request, rules, increment=False):
        return hit
    tip = tip_by_receipt(receipt)
    if tip is None:
        limits_hit(request, rules)
    return tip


def _status_page(request: HttpRequest, tip: Tip, receipt: str, **extra) -> HttpResponse:
    form = extra.pop("follow_up_form", None) or FollowUpForm(initial={"receipt": receipt})
    return render(
        request,
        "tips/receipt_status.html",
        {"tip": tip, "follow_up_form": form, "receipt": receipt_format(receipt), **extra},
    )


@public_form_page
def receipt_check(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if hit := network_limits_hit(request, settings.RECEIPT_RATE_LIMITS):
            return rate_limited(request, hit)
        if form.is_valid():
            found = _receipt_lookup(request, form.cleaned_data["receipt"])
            if isinstance(found, LimitHit):
                return rate_limited(request, found)
            if found is not None:
                return _status_page(request, found, form.cleaned_data["receipt"])
            form.add_error("receipt", _not_found_message())
    return render(request, "tips/receipt_check.html", {"form": form})


@never_cache
def receipt_add(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed(request, ["POST"])
    if hit := network_limits_hit(request, settings.RECEIPT_RATE_LIMITS):
        return rate_limited(request, hit)
    form = FollowUpForm(request.POST)
    receipt = receipt_normalise(request.POST.get("receipt", "")) or ""
    found = _receipt_lookup(request, receipt) if receipt else None
    if isinstance(found, LimitHit):
        return rate_limited(request, found)
    if found is None:
        return render(
            request,
            "tips/receipt_check.html",
            {"form": ReceiptForm(), "not_found": _not_found_message()},
            status=404,
        )
    if not form.is_valid():
        return _status_page(request, found, receipt, follow_up_form=form)
    tip_add_follow_up(tip=found, body=form.cleaned_data["body"])
    return _status_page(request, found, receipt, added=True)


def _not_found_message() -> str:
    return gettext(
        "No tip has this receipt. Check the digits; receipts of closed tips expire after a while."
    )
