"""Partner portals: who we accept signed messages and objects from, and what we saw of them.

A partner is added by an administrator with its origin and the fingerprint of its signing
key, read out of band (docs/network.md); nothing is accepted from a portal that is not an
active partner."""

from django.db import models

from traceobject.clock import minute_now
from traceobject.fields import MinuteDateTimeField


class Partner(models.Model):
    name = models.CharField(max_length=200)
    # scheme://host[:port], lower case, no path: everything we fetch from it stays on it.
    origin = models.CharField(max_length=300, unique=True)
    # Hex SHA-256 of the raw signing public key, as read out of band (pinned at adding).
    fingerprint = models.CharField(max_length=64)
    # Signing public keys accepted now (base64), the pinned one and any it has vouched for
    # in a signed well-known document (rotation with overlap).
    signing_keys = models.JSONField(default=list, blank=True)
    encryption_key = models.CharField(max_length=64, blank=True)  # X25519, base64
    feed_url = models.CharField(max_length=500, blank=True)
    inbox_url = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    added_at = MinuteDateTimeField(default=minute_now, editable=False)
    removed_at = MinuteDateTimeField(null=True, blank=True)
    # Polling the partner's signed object feed: conditional GET and backoff on failure.
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_poll_at = MinuteDateTimeField(null=True, blank=True)
    next_poll_at = MinuteDateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"


class SeenNonce(models.Model):
    """A message's nonce, kept for the timestamp window so that a replay is refused."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = MinuteDateTimeField(default=minute_now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "nonce"], name="seennonce_unique")
        ]

    def __str__(self) -> str:
        return self.nonce


class Refusal(models.Model):
    """A message or fetch we refused, with the reason: never anything about a visitor."""

    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=300, blank=True)  # as claimed, when not a partner
    reason = models.CharField(max_length=40)
    at = MinuteDateTimeField(default=minute_now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.origin}"
