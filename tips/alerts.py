"""The mail to the alert list about urgent reports: one mail for every report not alerted
yet, saying how many, at most one per URGENT_ALERT_WINDOW_SECONDS window (ten reports in
1.5 s make one mail saying 10, not ten mails). The worker's task waits
URGENT_ALERT_GATHER_SECONDS before its first try, so a burst is gathered into one mail.

Reports are claimed (urgent_alert_sent_at, to the minute) before the mail goes, so two
workers never mail the same report; a failed send releases the claim and the window.
"""

from __future__ import annotations

import math
import time
from contextlib import suppress

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tips.models import Tip
from traceobject import mail
from traceobject.cache import REDIS_DOWN
from traceobject.clock import minute_now
from traceobject.mail import site_link

ALERT_BATCH = 200  # reports named in one mail (the rest go in the next window's)
LINKS_SHOWN = 20  # links to single reports in a mail; the queue link shows them all
WINDOW_KEY = "tips:urgent-alert-window:{index}"


class AlertLater(Exception):
    """This window had its mail: try again in `seconds`, when the next one starts."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def _window_left() -> int:
    width = settings.URGENT_ALERT_WINDOW_SECONDS
    return max(1, math.ceil(width - time.time() % width))


def _window_take() -> bool:
    """Take this window's one mail; False when it was taken.

    The key is named by the window, not the moment, and expires at the window's end: it
    tells no time finer than the window. With Redis down every alert goes out.
    """
    index = int(time.time() // settings.URGENT_ALERT_WINDOW_SECONDS)
    try:
        return bool(cache.add(WINDOW_KEY.format(index=index), 1, timeout=_window_left()))
    except REDIS_DOWN:
        return True


def _window_release() -> None:
    index = int(time.time() // settings.URGENT_ALERT_WINDOW_SECONDS)
    with suppress(*REDIS_DOWN):
        cache.delete(WINDOW_KEY.format(index=index))


def urgent_alerts_send(*, recipients: list[str], one_per_window: bool = False) -> int:
    """Mail `recipients` once about every urgent report not alerted yet: links only, never
    what was written. Return how many reports the mail named (0: none was waiting).

    `one_per_window` (the worker): raise AlertLater when this window had its mail already.
    """
    if not recipients:
        return 0
    claimed_at = minute_now()  # to the minute, like every time kept about a tip
    with transaction.atomic():
        ids = list(
            Tip.objects.select_for_update(skip_locked=True)
            .filter(urgent=True, urgent_alert_sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:ALERT_BATCH]
        )
        if not ids:
            return 0
        if one_per_window and not _window_take():
            raise AlertLater(_window_left())
        Tip.objects.filter(pk__in=ids).update(urgent_alert_sent_at=claimed_at)
    subject, body = _alert_text(ids)
    try:
        mail.mail_send(subject=f"[{settings.PORTAL_NAME}] {subject}", body=body, to=recipients)
    except BaseException:
        Tip.objects.filter(pk__in=ids, urgent_alert_sent_at=claimed_at).update(
            urgent_alert_sent_at=None
        )
        if one_per_window:
            _window_release()
        raise
    return len(ids)


def _alert_text(ids: list[int]) -> tuple[str, str]:
    # In the site's main language (the staff's), whichever page language the report came
    # from: an eager task runs in the request's thread, with its language still active.
    with translation.override(settings.LANGUAGE_CODE):
        if len(ids) == 1:
            link = site_link(reverse("admin:tips_tip_change", args=[ids[0]]))
            subject = gettext("Urgent report #%(number)s: a child may be in danger now") % {
                "number": ids[0]
            }
            body = gettext(
                "An urgent report has just been received. Open it in the back office:\n\n"
                "%(link)s\n\nThis mail holds no content of the report on purpose."
            ) % {"link": link}
            return subject, body
        links = [site_link(reverse("admin:tips_tip_change", args=[pk])) for pk in ids[:LINKS_SHOWN]]
        queue = site_link(reverse("admin:tips_tip_changelist") + "?urgent__exact=1")
        subject = ngettext(
            "%(count)s urgent report: a child may be in danger now",
            "%(count)s urgent reports: a child may be in danger now",
            len(ids),
        ) % {"count": len(ids)}
        body = ngettext(
            "%(count)s urgent report has just been received. Open it in the back office:"
            "\n\n%(links)s\n\nAll urgent reports: %(queue)s\n\n"
            "This mail holds no content of the reports on purpose.",
            "%(count)s urgent reports have just been received. Open them in the back office:"
            "\n\n%(links)s\n\nAll urgent reports: %(queue)s\n\n"
            "This mail holds no content of the reports on purpose.",
            len(ids),
        ) % {"count": len(ids), "links": "\n".join(links), "queue": queue}
        return subject, body
