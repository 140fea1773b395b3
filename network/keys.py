"""Our identity on the network: signing and encryption keys from the settings, fingerprints,
our origin. Private keys never leave this module (docs/network.md, "Keys")."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey

from network.refused import Refused

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FINGERPRINT_NOISE = re.compile(r"[\s:]")


def network_enabled() -> bool:
    return bool(settings.NETWORK_ENABLED and settings.NETWORK_SIGNING_KEYS)


@lru_cache(maxsize=8)
def _signing(seeds: tuple[str, ...]) -> tuple[SigningKey, ...]:
    return tuple(SigningKey(base64.b64decode(seed)) for seed in seeds)


@lru_cache(maxsize=8)
def _sealing(keys: tuple[str, ...]) -> tuple[PrivateKey, ...]:
    return tuple(PrivateKey(base64.b64decode(key)) for key in keys)


def _signing_keys() -> tuple[SigningKey, ...]:
    keys = _signing(tuple(settings.NETWORK_SIGNING_KEYS))
    if not keys:
        raise RuntimeError("the network is off: NETWORK_SIGNING_KEYS is not set")
    return keys


def _private_keys() -> tuple[PrivateKey, ...]:
    keys = _sealing(tuple(settings.NETWORK_ENCRYPTION_KEYS))
    if not keys:
        raise RuntimeError("the network is off: NETWORK_ENCRYPTION_KEYS is not set")
    return keys


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def signing_key() -> SigningKey:
    """The key we sign with now: the first of NETWORK_SIGNING_KEYS."""
    return _signing_keys()[0]


def signing_public_keys() -> list[str]:
    """Every signing key we publish, the current one first (the others are in overlap)."""
    return [b64(bytes(key.verify_key)) for key in _signing_keys()]


def encryption_public_key() -> str:
    return b64(bytes(_private_keys()[0].public_key))


def seal(*, public_key: str, plaintext: bytes) -> bytes:
    """A sealed box to a partner's X25519 key: only its private key opens it."""
    return SealedBox(PublicKey(base64.b64decode(public_key))).encrypt(plaintext)


def unseal(ciphertext: bytes) -> bytes:
    """Opens a sealed box to any of our encryption keys (the old ones during a rotation)."""
    for key in _private_keys():
        try:
            return SealedBox(key).decrypt(ciphertext)
        except CryptoError:
            continue
    raise Refused("undecryptable")


def fingerprint(public_key_b64: str) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key: what administrators read out."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def fingerprint_normalise(given: str) -> str:
    return _FINGERPRINT_NOISE.sub("", given).lower()


def fingerprint_matches(given: str, public_key_b64: str) -> bool:
    return fingerprint_normalise(given) == fingerprint(public_key_b64)


def fingerprint_grouped(value: str) -> str:
    """64 hex digits in groups of four, easier to read over the telephone."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def origin_of(url: str) -> str:
    """scheme://host[:port] of an absolute http(s) URL, lower case, default port dropped.

    Raises ValueError for anything else (no scheme, userinfo, another scheme)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"not an http(s) origin: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port  # raises ValueError on a malformed port
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def our_origin() -> str:
    return origin_of(settings.SITE_URL)


def absolute_url(path: str) -> str:
    """An absolute URL at our origin (SITE_URL may carry a path prefix: it is kept)."""
    return settings.SITE_URL.rstrip("/") + path


def keys_generate() -> dict[str, str]:
    """A fresh signing seed and encryption key, base64, for `manage.py network_keys`."""
    return {
        "signing": b64(bytes(SigningKey.generate())),
        "encryption": b64(bytes(PrivateKey.generate())),
    }
