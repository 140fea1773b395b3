"""Fixed time windows for counters kept in Redis, aligned to the Unix epoch (a day window
starts at 00:00 UTC): a key made for a window expires at the window's end, whenever the
request that made it came, so its TTL tells nothing finer than the window."""

from __future__ import annotations

import math
import re
import time

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def unix_now() -> float:
    """The clock the windows read (tests move it)."""
    return time.time()


def rate_parse(rate: str) -> tuple[int, int]:
    """ "5/10m" → (5, 600): a count and a period in seconds."""
    match = re.fullmatch(r"(\d+)/(\d*)([smhd])", rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    return int(match[1]), int(match[2] or 1) * _UNITS[match[3]]


def window_of(period: int, now: float) -> tuple[int, int]:
    """The window of `period` seconds that holds `now`: its number and its end (Unix time)."""
    index = int(now // period)
    return index, (index + 1) * period


def timeout_until(end: float, now: float) -> int:
    """A cache timeout that ends at `end`: whole seconds, rounded up (the key outlives the
    window by under a second, never dies before it)."""
    return max(1, math.ceil(end - now))
