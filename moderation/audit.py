"""The one way to write the audit log: every staff action that reads or changes a tip,
every object transition, every login. Entries are append-only (moderation/models.py)."""

from __future__ import annotations

from typing import Any

from django.db import models

from moderation.models import AuditEntry

# Keys whose values never enter the log, whatever a caller passes.
SECRET_KEYS = {"password", "contact", "token", "otp", "receipt", "secret"}


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: "***" if any(secret in key.lower() for secret in SECRET_KEYS) else value
        for key, value in data.items()
    }


def log_action(
    action: str,
    *,
    user=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record `action` (namespaced, e.g. "tip.forwarded") by `user` on `target`."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        action=action,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=_masked(data or {}),
    )
