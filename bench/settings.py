"""The production settings (traceobject/settings.py, read from the same environment) with
the per-network rate limits lifted: every load comes from 127.0.0.1, so the real limits
(5 tips per network per 10 minutes) would turn the tip and receipt runs into a 429 bench.
Nothing else differs, so what is measured is what production runs.
"""

from traceobject.settings import *  # noqa: F403

_UNLIMITED = "1000000/h"
TIP_RATE_LIMITS = [(name, kind, _UNLIMITED) for name, kind, _ in TIP_RATE_LIMITS]  # noqa: F405
REPORT_RATE_LIMITS = [(name, kind, _UNLIMITED) for name, kind, _ in REPORT_RATE_LIMITS]  # noqa: F405
RECEIPT_RATE_LIMITS = [(name, kind, _UNLIMITED) for name, kind, _ in RECEIPT_RATE_LIMITS]  # noqa: F405
RECEIPT_WRONG_FREE = 1_000_000
