"""Public pages that take tips, reports and receipts; the order of a POST's checks is in
docs/tips.md. Never cached: they carry a CSRF token, and a receipt must never sit in a cache."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from http.cookies import SimpleCookie
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext
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
from tips.forms import (
    FollowUpForm,
    PublicForm,
    ReceiptForm,
    ReportForm,
    TipForm,
    submission_token_new,
)
from tips.models import Tip, TipKind
from tips.ratelimits import (
    LimitHit,
    Rule,
    limits_count,
    network_limits_hit,
    proof_of_work_factor,
    receipt_wait,
    receipt_wrong,
    shared_limits_hit,
)
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
from traceobject.windows import rate_parse

# The proof-of-work widget runs its hashing in a Web Worker it builds from a blob: URL.
PROOF_OF_WORK_CSP = {"worker-src": ["'self'", "blob:"]}


def public_form_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET shows the form, POST sends it; never cached; other methods get a 405 page."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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
            "budgets": network_budgets(),
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


def _period_words(seconds: int) -> str:
    """A rule's period as a person says it: "a day", "10 minutes"."""
    if seconds % 86_400 == 0:
        n = seconds // 86_400
        return gettext("a day") if n == 1 else ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if seconds % 3600 == 0:
        n = seconds // 3600
        return gettext("an hour") if n == 1 else ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return (
            gettext("a minute")
            if n == 1
            else ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
        )
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def network_budgets() -> list[str]:
    """The per-network budgets in plain words, for the 429 page ("5 tips in 10 minutes")."""
    lines = []
    for rules, noun in (
        (settings.TIP_RATE_LIMITS, lambda n: ngettext("%(n)d tip", "%(n)d tips", n)),
        (settings.REPORT_RATE_LIMITS, lambda n: ngettext("%(n)d report", "%(n)d reports", n)),
    ):
        for _name, kind, rate in rules:
            if kind == "network":
                count, period = rate_parse(rate)
                lines.append(
                    gettext("%(count)s in %(period)s")
                    % {"count": noun(count) % {"n": count}, "period": _period_words(period)}
                )
    return lines


SUBMISSION_COOKIE = "submission"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _form_token(request: HttpRequest) -> tuple[str, bool]:
    """The form's one-time token and whether it was sent already.

    The token this browser was given for this form in the last 15 minutes, kept in a cookie
    of the form's own path: Back and a reload show the same token (the page is never
    cached, so the browser fetches it again), and sending it again shows the first tip's
    receipt instead of making a second tip. `?new=1` draws a new one, for another tip."""
    token = request.COOKIES.get(SUBMISSION_COOKIE, "")
    if request.GET.get("new") or not _TOKEN.fullmatch(token):
        return submission_token_new(), False
    return token, tip_submission_received(token)


def _form_page(
    request: HttpRequest, template: str, form: PublicForm, **context: Any
) -> HttpResponse:
    already_sent = False
    if not form.is_bound:
        token, already_sent = _form_token(request)
        form.initial["submission"] = token
    response = render(request, template, {"form": form, "already_sent": already_sent, **context})
    if not form.is_bound:
        response.set_cookie(
            SUBMISSION_COOKIE,
            form.initial["submission"],
            max_age=RECEIPT_COOKIE_SECONDS,
            path=request.path,
            secure=settings.CSRF_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
    return response


def _take(
    request: HttpRequest, form: TipForm, *, rules: list[Rule], scope: str = "", **kwargs: Any
) -> HttpResponse | None:
    """A valid form: refuse it (429), or store it, count it and answer with its receipt.
    None: its proof of work was used meanwhile (the form shows the error)."""
    submission = form.cleaned_data["submission"]
    kind = TipKind.OBJECT if kwargs.get("traced_object") else TipKind.REPORT
    if tip_submission_received(submission):
        _refused(kind, Refusal.ALREADY_RECEIVED)
        return receipt_redirect(request, None)  # sent again: its receipt, not a second tip
    urgent = kwargs.get("urgent", False)
    network = network_limits_hit(request, rules)
    if network and not urgent:
        _refused(kind, Refusal.NETWORK_LIMIT)
        return rate_limited(request, network)
    shared = shared_limits_hit(request, rules, scope=scope)
    if not form.proof_of_work_use():
        _refused(kind, Refusal.PROOF_OF_WORK)
        return None
    try:
        received = tip_receive(
            language=request.LANGUAGE_CODE,
            content=form.content(),
            submission=submission,
            held_by_breaker=network is not None or shared is not None,
            **kwargs,
        )
    except TipAlreadyReceived:
        _refused(kind, Refusal.ALREADY_RECEIVED)
        return receipt_redirect(request, None)
    limits_count(request, rules, scope=scope)
    metrics.TIPS_ACCEPTED.labels(kind=kind, urgent="true" if urgent else "false").inc()
    return receipt_redirect(request, received)


def _refused(kind: str, reason: str) -> None:
    """Count a tip or report not stored, by its reason (one of traceobject.metrics.Refusal)."""
    metrics.TIPS_REFUSED.labels(kind=kind, reason=reason).inc()


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
    rules = settings.TIP_RATE_LIMITS
    form = TipForm(
        request.POST if request.method == "POST" else None,
        proof_of_work_factor=proof_of_work_factor(request, rules, scope=obj.code),
    )
    if request.method == "POST" and form.is_valid():
        taken = _take(
            request,
            form,
            rules=rules,
            scope=obj.code,
            traced_object=obj,
            urgent=form.cleaned_data["danger_now"],
        )
        if taken is not None:
            return taken
    elif request.method == "POST":
        _refused(TipKind.OBJECT, Refusal.INVALID_FORM)
    return _form_page(request, "tips/tip_form.html", form, obj=obj, danger_inline=True)


@csp_update(PROOF_OF_WORK_CSP)
@public_form_page
def report_create(request: HttpRequest) -> HttpResponse:
    """A child-in-danger report is taken whatever any budget says: over one, it is held."""
    rules = settings.REPORT_RATE_LIMITS
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        proof_of_work_factor=proof_of_work_factor(request, rules),
    )
    if request.method == "POST" and form.is_valid():
        taken = _take(request, form, rules=rules, urgent=form.cleaned_data["danger_now"])
        if taken is not None:
            return taken
    elif request.method == "POST":
        _refused(TipKind.REPORT, Refusal.INVALID_FORM)
    return _form_page(
        request,
        "tips/report_form.html",
        form,
        emergency_contacts=settings.EMERGENCY_CONTACTS,
    )


def _receipt_lookup(request: HttpRequest, receipt: str) -> Tip | LimitHit | None:
    """Find the tip; a wrong receipt makes the network wait a little longer next time."""
    if hit := receipt_wait(request):
        return hit
    tip = tip_by_receipt(receipt)
    if tip is None:
        receipt_wrong(request)
    return tip


def _status_page(request: HttpRequest, tip: Tip, receipt: str, **extra: Any) -> HttpResponse:
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
        if hit := _receipt_budget_hit(request):
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
    if hit := _receipt_budget_hit(request):
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
    # Read again: the follow-ups prefetched before the addition would leave it off the page.
    return _status_page(request, tip_by_receipt(receipt) or found, receipt, added=True)


def _receipt_budget_hit(request: HttpRequest) -> LimitHit | None:
    """Receipt look-ups and follow-ups per network: every POST counts (a look-up is the
    work a guesser wants), the refused ones not."""
    rules = settings.RECEIPT_RATE_LIMITS
    if hit := network_limits_hit(request, rules):
        return hit
    limits_count(request, [rule for rule in rules if rule[1] == "network"])
    return None


def _not_found_message() -> str:
    return gettext(
        "No tip has this receipt. Check the digits; receipts of closed tips expire after a while."
    )


@public_page
def results(request: HttpRequest) -> HttpResponse:
    return render(request, "tips/results.html", {"results": public_results()})
