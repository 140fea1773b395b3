"""Encryption of contact details and the slow hash of receipts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.TIP_CONTACT_KEYS])


def contact_encrypt(contact: str) -> str:
    return _fernet().encrypt(contact.encode()).decode()


def contact_decrypt(token: str) -> str:
    """Raises InvalidToken when no configured key opens it (a key was dropped too early)."""
    return _fernet().decrypt(token.encode()).decode()


def contact_reencrypt(token: str) -> str:
    """The same contact under the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()


# --- Receipts ---------------------------------------------------------------------------

RECEIPT_DIGITS = 16


def receipt_new() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def receipt_format(receipt: str) -> str:
    """1234 5678 9012 3456: four groups are easier to copy and read out."""
    return " ".join(receipt[i : i + 4] for i in range(0, RECEIPT_DIGITS, 4))


def receipt_normalise(text: str) -> str | None:
    """The 16 digits of what a visitor typed (spaces and dashes allowed), or None."""
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if len(digits) != RECEIPT_DIGITS or len(text) > 40:
        return None
    return digits


# One receipt hashed at a time per process: a burst of tips then keeps at most
# WEB_CONCURRENCY cores busy with scrypt (which releases the GIL), and the other threads of a
# process stay free for page views (traceobject/gunicorn_conf.py).
_hashing = threading.Lock()


def receipt_hash(receipt: str) -> str:
    """scrypt with a server-side salt: deterministic (so it can be looked up by index) but
    slow and memory-hard, so a stolen database does not give receipts away cheaply."""
    salt = hmac.new(settings.SECRET_KEY.encode(), b"traceobject-receipt", "sha256").digest()
    with _hashing:
        return hashlib.scrypt(
            receipt.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
        ).hex()


# --- The receipt page's cookie ------------------------------------------------------------
# After a tip is sent, the browser is redirected to the receipt page (post/redirect/get). The
# receipt travels in a short-lived cookie, encrypted with a key derived from SECRET_KEY, so a
# reload or Back shows it again for a while; the server keeps it nowhere in clear.

RECEIPT_COOKIE_SECONDS = 15 * 60


def _receipt_cookie_fernet() -> Fernet:
    key = hashlib.sha256(f"traceobject-receipt-cookie:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def receipt_cookie_seal(*, receipt: str, tip_id: int) -> str:
    return _receipt_cookie_fernet().encrypt(f"{tip_id}:{receipt}".encode()).decode()


def receipt_cookie_open(token: str) -> tuple[int, str] | None:
    """(tip id, receipt) from a cookie at most RECEIPT_COOKIE_SECONDS old, or None."""
    try:
        plain = _receipt_cookie_fernet().decrypt(token.encode(), ttl=RECEIPT_COOKIE_SECONDS)
        tip_id, receipt = plain.decode().split(":", 1)
        return int(tip_id), receipt
    except (InvalidToken, ValueError):
        return None


def submission_hash(token: str) -> str:
    """What is stored of a form's one-time submission token: enough to refuse it twice."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"submission:{token}".encode(), "sha256"
    ).hexdigest()
