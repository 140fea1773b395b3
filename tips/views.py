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

from collections.abc import Callable
from functools import wraps
from http.cookies import SimpleCookie

from csp.decorators import csp_update
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from objects.selectors import object_public_get
from objects.views import public_page
from tips.crypto import (
    RECEIPT_COOKIE_SECONDS,
    receipt_cookie_open,
    receipt_cookie_seal,
    receipt_format,
    receipt_normalise,
)
from tips.forms import FollowUpForm, ReceiptForm, ReportForm, TipForm
from tips.models import Tip, TipKind
from tips.ratelimits import LimitHit, limits_hit, network_limits_hit, shared_limits_hit
from tips.selectors import public_results, tip_submission_received
from tips.services import (
    ReceivedTip,
    TipAlreadyReceived,
    tip_add_follow_up,
    tip_by_receipt,
    tip_receive,
)
from traceobject import metrics
from traceobject.metrics import Refusal
from traceobject.views import written_text

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
    response = render(
        request,
        "tips/rate_limited.html",
        {
            "hit": hit,
            "written": written_text(request),
            "emergency_contacts": settings.EMERGENCY_CONTACTS,
        },
        status=429,
    )
    response["Retry-After"] = str(hit.retry_after_seconds)
    return response


def receipt_redirect(request: HttpRequest, received: ReceivedTip | None) -> HttpResponse:
    """Post/redirect/get: the receipt page is a GET, so a reload or Back never sends again.

    The receipt rides along in a cookie only the receipt page receives (its own path, in
    each language so the language switcher keeps it; HttpOnly, Secure, SameSite=Strict),
    encrypted and good for 15 minutes. Without `received` (the form was already sent) the
    browser still holds the first answer's cookie.
    """
    response = HttpResponseRedirect(reverse("tips:receipt_issued"), status=303)
    if received is None:
        return response
    sealed = receipt_cookie_seal(receipt=received.receipt, tip_id=received.tip.pk)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            path = reverse("tips:receipt_issued")
        # One Set-Cookie per language path, all named RECEIPT_COOKIE_NAME: the response's
        # jar is keyed by name, so each morsel goes in under its own key.
        morsel = SimpleCookie({settings.RECEIPT_COOKIE_NAME: sealed})[settings.RECEIPT_COOKIE_NAME]
        morsel["max-age"] = RECEIPT_COOKIE_SECONDS
        morsel["path"] = path
        morsel["secure"] = settings.CSRF_COOKIE_SECURE
        morsel["httponly"] = True
        morsel["samesite"] = "Strict"
        response.cookies[f"{settings.RECEIPT_COOKIE_NAME}:{code}"] = morsel
    return response


def _receive(request: HttpRequest, *, rules, scope: str = "", **kwargs) -> HttpResponse:
    """Store the tip, then count it against the shared budgets: only a taken request counts
    there. A form sent twice at the same moment stores one tip and shows its receipt."""
    kind = TipKind.OBJECT if kwargs.get("traced_object") else TipKind.REPORT
    try:
        received = tip_receive(language=request.LANGUAGE_CODE, **kwargs)
    except TipAlreadyReceived:
        received = None
        _refusal_counter(kind)(Refusal.ALREADY_RECEIVED)
    else:
        shared_limits_hit(request, rules, scope=scope, increment=True)
        urgent = "true" if kwargs.get("urgent") else "false"
        metrics.TIPS_ACCEPTED.labels(kind=kind, urgent=urgent).inc()
    return receipt_redirect(request, received)


def _refusal_counter(kind: str) -> Callable[[str], None]:
    """Count a refused tip or report by its reason (one of traceobject.metrics.Refusal)."""

    def count(reason: str) -> None:
        metrics.TIPS_REFUSED.labels(kind=kind, reason=reason).inc()

    return count


@never_cache
@require_safe
def receipt_issued(request: HttpRequest) -> HttpResponse:
    opened = receipt_cookie_open(request.COOKIES.get(settings.RECEIPT_COOKIE_NAME, ""))
    tip, receipt = None, None
    if opened is not None:
        try:
            tip = Tip.objects.select_related("traced_object").filter(pk=opened[0]).first()
        except DatabaseError:
            # The tip is stored; the database went away after. The receipt is in the cookie:
            # show it, without the object's details, rather than lose it.
            receipt = receipt_format(opened[1])
        else:
            receipt = receipt_format(opened[1]) if tip else None
    return render(
        request,
        "tips/receipt_issued.html",
        {
            "receipt": receipt,
            "tip": tip,
            "receipt_url": reverse("tips:receipt"),
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
        refused = _refusal_counter(TipKind.OBJECT)
        rules = settings.TIP_RATE_LIMITS
        if hit := network_limits_hit(request, rules):
            refused(Refusal.NETWORK_LIMIT)
            return rate_limited(request, hit)
        if not form.is_valid():
            refused(Refusal.INVALID_FORM)
        else:
            if tip_submission_received(form.cleaned_data["submission"]):
                refused(Refusal.ALREADY_RECEIVED)
                return receipt_redirect(request, None)  # sent again: its receipt, not a second tip
            if hit := shared_limits_hit(request, rules, scope=obj.code):
                refused(Refusal.SHARED_LIMIT)
                return rate_limited(request, hit)
            if form.proof_of_work_use():
                return _receive(
                    request,
                    rules=rules,
                    scope=obj.code,
                    content=form.content(),
                    traced_object=obj,
                    submission=form.cleaned_data["submission"],
                )
            refused(Refusal.PROOF_OF_WORK)
    return render(request, "tips/tip_form.html", {"form": form, "obj": obj})


@csp_update(PROOF_OF_WORK_CSP)
@public_form_page
def report_create(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        refused = _refusal_counter(TipKind.REPORT)
        rules = settings.REPORT_RATE_LIMITS
        if hit := network_limits_hit(request, rules):
            refused(Refusal.NETWORK_LIMIT)
            return rate_limited(request, hit)
        if not form.is_valid():
            refused(Refusal.INVALID_FORM)
        else:
            if tip_submission_received(form.cleaned_data["submission"]):
                refused(Refusal.ALREADY_RECEIVED)
                return receipt_redirect(request, None)  # sent again: its receipt, not a second tip
            urgent = form.cleaned_data["danger_now"]
            breaker = shared_limits_hit(request, rules)
            if breaker and not urgent:
                refused(Refusal.SHARED_LIMIT)
                return rate_limited(request, breaker)
            if form.proof_of_work_use():
                return _receive(
                    request,
                    rules=rules,
                    content=form.content(),
                    urgent=urgent,
                    held_by_breaker=breaker is not None,
                    submission=form.cleaned_data["submission"],
                )
            refused(Refusal.PROOF_OF_WORK)
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


@public_page
def results(request: HttpRequest) -> HttpResponse:
    return render(request, "tips/results.html", {"results": public_results()})
