from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
