"""The one exception every refusal of the network raises (re-exported by network.envelope)."""

from __future__ import annotations

# What a partner (or a would-be partner) did wrong, as stored in Refusal.reason and answered
# by the inbox. The list is part of the protocol (docs/network.md, "Refusals").
REASONS = frozenset(
    {
        "oversized",
        "malformed",
        "unknown_sender",
        "removed_sender",
        "bad_signature",
        "stale",
        "replayed",
        "undecryptable",
        "wrong_recipient",
        "rate_limited",
        "off_origin",
        "private_address",
        "redirect",
        "http_error",
        "unknown_kind",
        "fingerprint_mismatch",
    }
)


class Refused(Exception):
    """A message, document or fetch refused for `reason` (one of REASONS).

    `recorded` is set once the refusal has its Refusal row and log line, so that a refusal
    passing through two of our functions is recorded once."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.recorded = False
