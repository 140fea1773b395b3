"""Typed readers for the environment that fail loudly on a malformed value.

A typo in a deployment's variables must stop the site at start-up with a line that names
the variable, never silently fall back to a default that may be unsafe.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ImproperlyConfigured):
    """A setting read from the environment is missing or malformed."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def envstr(
    name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None
) -> Any:
    value = _raw(name, environ)
    return default if value is None else value


def envbool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean: use true or false")


def envint(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} is too small: the minimum is {minimum}")
    return number


def envlist(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def envlangmap(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A text per language: `en=Metropolitan Police;fr=Police métropolitaine`, or one text
    for every language. The "" key holds the text for a language not listed."""
    value = _raw(name, environ)
    if value is None:
        return {"": default}
    if "=" not in value:
        return {"": value}
    texts: dict[str, str] = {}
    for item in value.split(";"):
        code, sep, text = item.partition("=")
        if not sep or not code.strip() or not text.strip():
            raise ConfigError(f"{name}: {item!r} is not language=text")
        texts[code.strip().lower()] = text.strip()
    texts.setdefault("", texts.get("en", default))
    return texts


def database_from_url(url: str) -> dict[str, Any]:
    """Turn `postgres://user:pass@host:port/name?opt=v` or `sqlite:///path` into DATABASES["default"]."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///var/db.sqlite3 is relative to the working directory, sqlite:////abs is absolute.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ConfigError(f"DATABASE_URL={url!r} names no SQLite file")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"DATABASE_URL={_mask(url)!r} names no database")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"DATABASE_URL={_mask(url)!r} has a malformed port") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ConfigError(
        f"DATABASE_URL={_mask(url)!r} is not supported: use postgres://… or sqlite:///…"
    )


def _mask(url: str) -> str:
    """Hide a password before a URL reaches an error message or a log."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


_RATE = re.compile(r"(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[smhd])")


def envrate(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    """A rate limit as django-ratelimit reads it, `count/period` (5/10m, 1000/h)."""
    value = _raw(name, environ) or default
    match = _RATE.fullmatch(value)
    if not match or int(match["count"]) < 1 or int(match["multiple"] or 1) < 1:
        raise ConfigError(
            f"{name}={value!r} is not a rate: use count/period with a period of s, m, h or d "
            "(e.g. 1000/h or 5/10m)"
        )
    return value


def envnetworks(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Addresses or networks (10.0.0.0/8, 2001:db8::/32), normalised to network notation."""
    networks = []
    for item in envlist(name, default, environ=environ):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or network (e.g. 172.28.0.10 or 10.0.0.0/8)"
            ) from None
    return networks


_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")


def envphonebook(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """`label=number` pairs, comma-separated; a number may hold digits, spaces and + - ( ) . /"""
    pairs = []
    for item in envlist(name, default, environ=environ):
        label, _, number = (part.strip() for part in item.partition("="))
        if not label or not _PHONE.fullmatch(number):
            raise ConfigError(
                f"{name}: {item!r} is not a label=number pair "
                "(e.g. Emergency services=112,Child helpline=116 111)"
            )
        pairs.append((label, number))
    return pairs


_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def envloglevel(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    value = (_raw(name, environ) or default).upper()
    if value not in _LOG_LEVELS:
        raise ConfigError(
            f"{name}={value!r} is not a log level: use one of {', '.join(_LOG_LEVELS)}"
        )
    return value


def envurl(
    name: str,
    default: str | None,
    *,
    schemes: tuple[str, ...] = ("https", "http"),
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """An absolute URL with one of `schemes` and a host; None when unset and no default."""
    value = _raw(name, environ) or default
    if value is None:
        return None
    if not _is_url(value, schemes):
        raise ConfigError(
            f"{name}={_mask(value)!r} is not a URL: use {' or '.join(s + '://…' for s in schemes)}"
        )
    return value


def envurls(
    name: str,
    default: list[str],
    *,
    schemes: tuple[str, ...] = ("https", "http"),
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    urls = envlist(name, default, environ=environ)
    for url in urls:
        if not _is_url(url, schemes):
            raise ConfigError(f"{name}: {url!r} is not a URL: use https://… (scheme and host)")
    return urls


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    # A Unix socket (redis unix:///run/redis.sock) has a path instead of a host.
    return parts.scheme in schemes and bool(parts.hostname or parts.scheme == "unix")


def envfernetkeys(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Fernet keys: 32 bytes in URL-safe base64. The message never shows a key."""
    keys = envlist(name, default, environ=environ)
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32 and len(key) == 44
        except (ValueError, binascii.Error):
            valid = False
        if not valid:
            raise ConfigError(
                f"{name}: key {position} is not a Fernet key (44 characters of URL-safe base64)"
            )
    return keys


def envrawkeys(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Raw 32-byte keys in standard base64 (Ed25519 seeds, X25519 private keys), comma-separated.
    The message never shows a key."""
    keys = envlist(name, default, environ=environ)
    for position, key in enumerate(keys, start=1):
        if not is_raw_key(key):
            raise ConfigError(f"{name}: key {position} is not 32 bytes in base64 (44 characters)")
    return keys


def is_raw_key(key: str) -> bool:
    try:
        return len(key) == 44 and len(base64.b64decode(key.encode(), validate=True)) == 32
    except (ValueError, binascii.Error):
        return False


def envemails(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    addresses = envlist(name, default, environ=environ)
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ConfigError(f"{name}: {address!r} is not an e-mail address") from None
    return addresses
