"""The evidence board's tally, stored (PostgreSQL; tips/tally.py keeps it): per object, each
claim's figures across its independent groups and the places' points, so that the board
reads a few dozen rows instead of counting every claim of the object on every view.

The database marks what to count again: triggers (migration tips 0023) write a TallyMark
for every claim whose support may have moved (a claim written or deleted, its tip's group,
status, language or time changed, its group's flood decision changed), whoever made the
change (the grouping, triage, an admin action, a retention delete, a plain UPDATE). The
board counts the marked claims again before it reads, and only those. Times are tips'
received_at, already cut to the minute (written by SQL, not by these fields).
"""

from __future__ import annotations

from django.db import models

from objects.models import TracedObject
from traceobject.fields import MinuteDateTimeField


class ClaimTally(models.Model):
    """One claim's support on one object, as the board tallies it (tips/evidence.py): a
    place counts for its country too ("via"; "direct": the groups that name the country)."""

    traced_object = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    value = models.CharField(max_length=200)
    tips = models.PositiveIntegerField()  # tips not rejected that claim it (floods included)
    groups = models.PositiveIntegerField()  # independent groups (a held or rejected flood: none)
    direct = models.PositiveIntegerField()  # of them, the groups that claim it themselves
    via = models.BooleanField()  # some of its support came from places
    languages = models.JSONField()  # sorted, of the independent groups' tips
    slots = models.PositiveIntegerField()  # TIP_AGREEMENT_SLOT_HOURS slots of those tips
    certain = models.BooleanField()  # some tip claimed it without doubt
    score = models.FloatField()  # evidence.agreement_score(groups, languages, slots)
    first_at = MinuteDateTimeField()  # the first tip (not rejected) to claim it

    class Meta:
        indexes = [
            models.Index(
                fields=["traced_object", "kind", "-score", "-groups", "-tips"],
                name="claimtally_best",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value} ({self.groups} groups)"


class ClaimPoint(models.Model):
    """Where the tips naming one town put it, to 0.001°, with who said so (evidence.PlacePoint)."""

    traced_object = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=200)  # the place claim: "PL:3094802"
    lat = models.FloatField()
    lon = models.FloatField()
    groups = models.JSONField()  # the independent groups' ids (a tip not grouped: -its id)
    tips = models.JSONField()
    languages = models.JSONField()
    slots = models.JSONField()
    first_at = MinuteDateTimeField()  # the first independent tip (any tip, if none)
    certain = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["traced_object", "value"], name="claimpoint_object")]

    def __str__(self) -> str:
        return f"{self.value} at {self.lat}, {self.lon}"


class TallyMark(models.Model):
    """A claim of an object to count again (written by the database's triggers). The object
    is a plain number, not a foreign key: a mark written while the object's tips are deleted
    must not stop the object's own deletion."""

    traced_object_id = models.BigIntegerField()
    kind = models.CharField(max_length=10)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["traced_object_id", "kind", "value"], name="tallymark_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.traced_object_id} {self.kind}: {self.value}"
