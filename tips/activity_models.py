"""An object's page views per day (tips/activity.py counts them in the web process and writes
them here): an aggregate counter, nothing about any visitor."""

from __future__ import annotations

from django.db import models

from objects.models import TracedObject


class ObjectViewDay(models.Model):
    """How many times an object's public page was served on one day: an aggregate counter,
    nothing about any visitor (tips/activity.py counts and flushes it)."""

    traced_object = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["traced_object", "day"], name="objectviewday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.traced_object_id} on {self.day}: {self.views}"
