"""The records every app writes and nobody changes: the audit log, and tasks that failed for
good. This app imports no feature app, so objects, tips and moderation may all use it."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from traceobject.fields import MinuteDateTimeField


class FailedTask(models.Model):
    """A background task that failed after its last retry, kept so staff can see and act on it."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    # Task arguments are ids only (never tip text), so they are safe to keep here.
    args = models.JSONField(default=list)
    error = models.TextField()
    failed_at = MinuteDateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} failed at {self.failed_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """One event in the append-only audit log, written by audit.services.log_action only.

    Nobody can change or delete an entry through the site: the model refuses it, the admin
    offers no way to, and on PostgreSQL a trigger refuses UPDATE and DELETE outright.
    """

    at = MinuteDateTimeField(auto_now_add=True)
    action = models.CharField(max_length=64, db_index=True)  # namespaced: "tip.forwarded"
    # A copy of the name, so the entry still says who after an account is gone.
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    target_type = models.CharField(max_length=64, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The list's order, read backwards for its first pages and forwards for its last.
            models.Index(fields=["at", "id"], name="audit_at_id"),
            # The list by who acted, in its order: a page is one range of this index.
            models.Index(fields=["username", "at", "id"], name="audit_username_at_id"),
        ]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        permissions = [("export_auditentry", "Can export the audit log")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit log entries cannot be deleted")
