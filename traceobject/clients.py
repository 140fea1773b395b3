"""Who is asking, as little as we need to know: the client's network as a keyed pseudonym.

The rate limits and the staff lockout both count by `network_key`, an HMAC of the client's
/32 (IPv4) or /RATELIMIT_IPV6_PREFIX (IPv6, /56) under the day's key: the raw address never
reaches the cache, the database or a log. The day's key is derived from a random salt kept
in the cache for one UTC day and then forgotten, so neither a Redis dump nor SECRET_KEY
alone turns a pseudonym back into a network, and yesterday's cannot be turned back at all.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from traceobject.windows import timeout_until, unix_now, window_of

DAY = 86_400


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


_day_secrets: dict[int, tuple[bytes, float]] = {}  # this process's copy: day → (key, read at)
_DAY_SECRET_REREAD_SECONDS = 60


def day_secret() -> bytes:
    """Today's pseudonym key: the day's random salt (made by the first request of the UTC
    day, gone at its end), keyed with a key derived from SECRET_KEY. Each process re-reads
    the salt once a minute, so all agree again soon after Redis lost it."""
    now = unix_now()
    day, end = window_of(DAY, now)
    known = _day_secrets.get(day)
    if known is not None and now - known[1] < _DAY_SECRET_REREAD_SECONDS:
        return known[0]
    cache = caches[settings.RATELIMIT_USE_CACHE]
    key = f"pseudonym-salt:{day}"
    salt = cache.get(key)
    if salt is None:
        fresh = secrets.token_hex(32)
        cache.add(key, fresh, timeout_until(end, now))
        salt = cache.get(key) or fresh
    base = hmac.new(settings.SECRET_KEY.encode(), b"traceobject-pseudonym", "sha256").digest()
    secret = hmac.new(base, salt.encode(), hashlib.sha256).digest()
    _day_secrets.clear()  # yesterday's is forgotten here too
    _day_secrets[day] = (secret, now)
    return secret


def _pseudonym(network: str) -> str:
    return hmac.new(day_secret(), network.encode(), hashlib.sha256).hexdigest()[:32]


def network_key(request: HttpRequest) -> str:
    """The client's network (the /32 of IPv4, the /RATELIMIT_IPV6_PREFIX of IPv6), keyed."""
    address = client_address(request)
    if address is None:
        return _pseudonym("unknown")
    prefix = 32 if address.version == 4 else settings.RATELIMIT_IPV6_PREFIX
    return _pseudonym(str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))


def wide_network_key(request: HttpRequest) -> str | None:
    """The coarser IPv6 network (/RATELIMIT_IPV6_WIDE_PREFIX, /48: one site's allocation, or
    256 budgets of /56), keyed; None for IPv4, whose /32 is already the whole budget."""
    address = client_address(request)
    if address is None or address.version == 4:
        return None
    prefix = settings.RATELIMIT_IPV6_WIDE_PREFIX
    return _pseudonym(str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))
