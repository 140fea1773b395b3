from django.db import models


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
