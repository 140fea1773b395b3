from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FailedTask(models.Model):
    """A background task that failed after its last retry, kept so staff can see and act on it."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    # Task arguments are ids only (never tip text), so they are safe to keep here.
    args = models.JSONField(default=list)
    error = models.TextField()
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} failed at {self.failed_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """One event in the append-only audit log, written by moderation.audit.log_action only.

    Nobody can change or delete an entry through the site: the model refuses it, the admin
    offers no way to, and on PostgreSQL a trigger refuses UPDATE and DELETE outright.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
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
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        permissions = [("export_auditentry", "Can export the audit log")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit log entries cannot be deleted")


class ForwardOutcome(models.TextChoices):
    USEFUL = "useful", _("Useful")
    NOT_USEFUL = "not_useful", _("Not useful")
    IDENTIFICATION = "identification", _("Led to identification")


class Forward(models.Model):
    """A tip an analyst passed to an investigator (usually the object's case owner)."""

    tip = models.ForeignKey("tips.Tip", on_delete=models.CASCADE, related_name="forwards")
    to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="received_forwards"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_forwards"
    )
    summary = models.TextField(_("analyst's summary"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=ForwardOutcome.choices, blank=True)
    outcome_note = models.TextField(max_length=2000, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "to"], name="forward_once_per_recipient")
        ]
        indexes = [models.Index(fields=["to", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"Tip #{self.tip_id} to {self.to.get_username()}"


class NotifyMode(models.TextChoices):
    IMMEDIATE = "immediate", _("One mail per forward")
    DIGEST = "digest", _("One daily digest")


class StaffPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_preference"
    )
    notify = models.CharField(
        _("how to tell me about forwarded tips"),
        max_length=10,
        choices=NotifyMode.choices,
        default=NotifyMode.IMMEDIATE,
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.notify}"
