"""Who may read /healthz/'s detail (which service is down, how old the oldest unsent message
is): the operator's networks (HEALTHZ_DETAIL_NETWORKS) or whoever sends HEALTHZ_TOKEN in the
X-Healthz-Token header. Anyone else gets the bare status, 200 or 503."""

from __future__ import annotations

import ipaddress
import secrets

from django.conf import settings
from django.http import HttpRequest

from traceobject.clients import _parsed, _trusted, client_address

TOKEN_HEADER = "X-Healthz-Token"  # noqa: S105 (a header name)


def health_detail_allowed(request: HttpRequest) -> bool:
    token = settings.HEALTHZ_TOKEN
    if token and secrets.compare_digest(
        request.headers.get(TOKEN_HEADER, "").encode(), token.encode()
    ):
        return True
    address = client_address(request)
    if address is None:
        return False
    try:
        remote = _parsed(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address == remote and _trusted(remote):
        # A proxy that names no client: the request may come from anyone on the internet.
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.HEALTHZ_DETAIL_NETWORKS
    )
