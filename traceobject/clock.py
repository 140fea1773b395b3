"""Time as coarse as a tip's privacy needs: to the minute.

Anything stored, logged or mailed about a tip carries at most the minute: the exact second
could match a tip to a connection log at an internet provider.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def minute_now() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)
