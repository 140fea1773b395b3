"""Time as coarse as a tip's privacy needs: to the minute.

Anything stored, logged or mailed about a tip carries at most the minute: the exact second
could match a tip to a connection log at an internet provider.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def minute_now() -> datetime:
    return to_the_minute(timezone.now())
