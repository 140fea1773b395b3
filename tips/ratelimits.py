"""Rate limits on public POSTs, by network, by object and globally (rules in settings).

The client is known only as an HMAC of its network under a key derived from SECRET_KEY:
the raw address never reaches the cache, the database or a log.

Rules come in two kinds, counted at different moments (see tips/views.py for the order):
per-network rules count every POST before anything else, so a flood only uses up its own
network's budget; shared rules (per object, global) count only what passed the cheap checks
(form shape and a fresh proof of work), so junk from one client cannot close the site to
everyone else.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage


@dataclass(frozen=True)
class LimitHit:
    rule: str
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def _trusted(address: ipaddress._BaseAddress) -> bool:
    return any(
        address in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES
    )


def _address(text: str) -> ipaddress._BaseAddress:
    """Parse an address; raises ValueError.

    A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d: taken as IPv6 they would
    all share one /64 (one budget), and a trusted IPv4 proxy would not be recognised.
    """
    address = ipaddress.ip_address(text)
    return getattr(address, "ipv4_mapped", None) or address


def client_address(request: HttpRequest) -> ipaddress._BaseAddress | None:
    """REMOTE_ADDR, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    try:
        address = _address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    if not _trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        try:
            candidate = _address(hop)
        except ValueError:
            return address  # a malformed chain: count the proxy itself, never a made-up value
        if not _trusted(candidate):
            return candidate
    return address


def network_key(request: HttpRequest) -> str:
    address = client_address(request)
    if address is None:
        network = "unknown"
    else:
        prefix = 32 if address.version == 4 else 64
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    secret = hmac.new(settings.SECRET_KEY.encode(), b"traceobject-ratelimit", "sha256").digest()
    return hmac.new(secret, network.encode(), hashlib.sha256).hexdigest()[:32]


Rule = tuple[str, str, str]


def network_limits_hit(request: HttpRequest, rules: list[Rule]) -> LimitHit | None:
    """Count this POST against the per-network rules; the shared ones are left alone."""
    return limits_hit(request, [rule for rule in rules if rule[1] == "network"])


def shared_limits_hit(
    request: HttpRequest, rules: list[Rule], *, scope: str = "", increment: bool = False
) -> LimitHit | None:
    """The per-object and global rules: look first, count only a request that is taken."""
    shared = [rule for rule in rules if rule[1] != "network"]
    return limits_hit(request, shared, scope=scope, increment=increment)


def limits_hit(
    request: HttpRequest,
    rules: list[Rule],
    *,
    scope: str = "",
    increment: bool = True,
) -> LimitHit | None:
    """Count this request against every rule; return the first limit it exceeds, if any.

    Every rule is counted even when an earlier one is already exceeded, so the day's budget
    keeps counting during a burst.
    """
    values = {"network": network_key(request), "global": "all", "object": f"object:{scope}"}
    hit = None
    for name, counted, rate in rules:
        value = values[counted]
        usage = get_usage(
            request,
            group=name,
            key=lambda group, request, value=value: value,
            rate=rate,
            increment=increment,
        )
        # Counting, this request is one of `count`; only looking, one more would be.
        exceeded = usage and (
            usage["should_limit"] if increment else usage["count"] >= usage["limit"]
        )
        if exceeded and hit is None:
            hit = LimitHit(rule=name, retry_after_seconds=max(usage["time_left"], 1))
    return hit
