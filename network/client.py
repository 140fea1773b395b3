"""HTTP to a partner, pinned to its origin (docs/network.md, "Fetching from a partner").

A partner's feed names URLs; a hostile one would name our own network's services. So every
request goes to the partner's origin only, at an address checked after resolution (private,
loopback, link-local and reserved refused unless NETWORK_ALLOW_PRIVATE) and connected to
that very address, redirects are followed by hand and only on the origin, and bodies are cut
at a cap while they stream."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from network import keys
from network.envelope import refusal_record
from network.models import Partner
from network.refused import Refused

TIMEOUT_SECONDS = 10
TOTAL_SECONDS = 30  # a partner trickling bytes cannot hold a worker longer than this
MAX_REDIRECTS = 3
_REDIRECTS = {301, 302, 303, 307, 308}
_USER_AGENT = "traceobject-network/1"  # ours: no visitor's user agent ever crosses


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    etag: str
    last_modified: str
    content_type: str


def _on_origin(partner: Partner, url: str) -> None:
    try:
        origin = keys.origin_of(url)
    except ValueError:
        raise Refused("off_origin", "not an http(s) URL") from None
    if origin != partner.origin:
        raise Refused("off_origin")


def _address(host: str, port: int) -> str:
    """The address to connect to; every address the name has must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise Refused("http_error", "name not resolved") from None
    addresses = [str(info[4][0]) for info in infos]
    if not settings.NETWORK_ALLOW_PRIVATE:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            mapped = getattr(ip, "ipv4_mapped", None)
            if not (mapped or ip).is_global or ip.is_multicast:
                raise Refused("private_address")
    return addresses[0]


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _address(host, port)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=TIMEOUT_SECONDS
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)

    # Connect to the address checked above, not to a second resolution of the name (which a
    # hostile DNS could point elsewhere); TLS still checks the certificate for the host name.
    def pinned(_address: tuple[str, int], *args: object) -> socket.socket:
        return socket.create_connection((address, port), *args)  # type: ignore[arg-type]

    connection._create_connection = pinned  # type: ignore[attr-defined]
    path = parts.path or "/"
    return connection, f"{path}?{parts.query}" if parts.query else path


def _read(response: http.client.HTTPResponse, max_bytes: int, started: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise Refused("oversized")
    chunks, total = [], 0
    while chunk := response.read(65536):
        total += len(chunk)
        if total > max_bytes:
            raise Refused("oversized")
        if time.monotonic() - started > TOTAL_SECONDS:
            raise Refused("http_error", "too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def _request(
    url: str, *, method: str, headers: dict[str, str], body: bytes | None, max_bytes: int
) -> tuple[http.client.HTTPResponse, bytes]:
    connection, target = _connection(url)
    started = time.monotonic()
    try:
        connection.request(
            method,
            target,
            body=body,
            headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity", **headers},
        )
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            return response, b""
        return response, _read(response, max_bytes, started)
    except (OSError, http.client.HTTPException) as error:
        raise Refused("http_error", type(error).__name__) from None
    finally:
        connection.close()


def fetch(
    *, partner: Partner, url: str, max_bytes: int, etag: str = "", last_modified: str = ""
) -> Fetched:
    """GET `url` on the partner's origin. Any final status is returned (304 with b""); a
    refusal (off origin, private address, too many redirects, oversized, no answer) raises
    Refused, recorded."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _on_origin(partner, url)
            response, body = _request(
                url, method="GET", headers=headers, body=None, max_bytes=max_bytes
            )
            if response.status not in _REDIRECTS:
                return Fetched(
                    status=response.status,
                    body=b"" if response.status == 304 else body,
                    etag=response.getheader("ETag", ""),
                    last_modified=response.getheader("Last-Modified", ""),
                    content_type=response.getheader("Content-Type", ""),
                )
            url = urljoin(url, response.getheader("Location", ""))
        raise Refused("redirect", "too many")
    except Refused as refused:
        refusal_record(refused, partner=partner)
        raise


def post(*, partner: Partner, url: str, body: bytes) -> tuple[int, bytes]:
    """POST a message to the partner's origin; a redirect is refused, not followed."""
    try:
        _on_origin(partner, url)
        response, answer = _request(
            url,
            method="POST",
            headers={"Content-Type": "application/json"},
            body=body,
            max_bytes=settings.NETWORK_MAX_MESSAGE_BYTES,
        )
        if response.status in _REDIRECTS:
            raise Refused("redirect")
        return response.status, answer
    except Refused as refused:
        refusal_record(refused, partner=partner)
        raise
