"""Who is asking, as little as we need to know: the client's network as a keyed pseudonym.

The rate limits and the staff lockout both count by `network_key`, an HMAC of the client's
/32 (IPv4) or /64 (IPv6) under a key derived from SECRET_KEY: the raw address never reaches
the cache, the database or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(
        address in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES
    )


def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address; an IPv4-mapped IPv6 one (::ffff:a.b.c.d) as the IPv4 address it is, or
    every IPv4 client of a dual-stack server would share one ::/64 bucket."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """REMOTE_ADDR, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    try:
        address = _parsed(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    if not _trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        try:
            candidate = _parsed(hop)
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
