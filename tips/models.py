"""Tips from the public, what analysts ask back, and the outbox of work they cause.

Nothing here identifies a tipster: no IP address, user agent or visitor id is stored, the
time received is kept to the minute, the receipt only as a slow hash, and contact details
(given only with consent) encrypted, and deleted on the retention schedule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from network.models import Partner
from objects.models import TracedObject
from tips.relay_models import RelayKind, RelayState, TipRelay  # noqa: F401 (kept in their own module)
from traceobject.fields import MinuteDateTimeField

GROUP_SIZE_CAP = 100  # Tip.group_size counts a group's tips up to this many
# Tip.group_strength, in hundredths of the agreement score (tips/strength.py): one voice is
# 100; strengths past the cap are equal (a claim that many groups agree on stops changing).
STRENGTH_ONE_VOICE = 100
STRENGTH_CAP = 2000


class TipStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_INFO = "needs_info", _("Needs information")
    FORWARDED = "forwarded", _("Forwarded")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")


class PublicStatus(models.TextChoices):
    """What the tipster sees through the receipt: less detail than the analysts' states."""

    # A context of their own: "Received" is also the receipt page's date label, and a
    # language may need a different word for each ("Reçue" / "Reçue le").
    RECEIVED = "received", pgettext_lazy("public tip status", "Received")
    IN_REVIEW = "in_review", pgettext_lazy("public tip status", "In review")
    FORWARDED = "forwarded", pgettext_lazy("public tip status", "Forwarded to investigators")
    CLOSED = "closed", pgettext_lazy("public tip status", "Closed")


PUBLIC_STATUS = {
    TipStatus.NEW: PublicStatus.RECEIVED,
    TipStatus.IN_REVIEW: PublicStatus.IN_REVIEW,
    TipStatus.NEEDS_INFO: PublicStatus.IN_REVIEW,
    TipStatus.DUPLICATE: PublicStatus.IN_REVIEW,
    TipStatus.FORWARDED: PublicStatus.FORWARDED,
    TipStatus.REJECTED: PublicStatus.CLOSED,
    TipStatus.CLOSED: PublicStatus.CLOSED,
}
CLOSED_STATUSES = (TipStatus.CLOSED, TipStatus.REJECTED)


class FloodState(models.TextChoices):
    """A group's standing as a suspected flood (tips/grouping.py holds it, triage decides)."""

    NONE = "none", _("Not a flood")
    HELD = "held", _("Held as a suspected flood")
    RELEASED = "released", _("Released into the queue")
    REJECTED = "rejected", _("Rejected as a flood")


# A held or rejected flood is out of the queue and counts nothing in the agreement score.
FLOOD_DISCOUNTED = (FloodState.HELD, FloodState.REJECTED)


class RejectReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    IRRELEVANT = "irrelevant", _("Irrelevant")


class TipKind(models.TextChoices):
    OBJECT = "object", _("Tip about an object")
    REPORT = "report", _("Report about something else")


class Tip(models.Model):
    kind = models.CharField(max_length=10, choices=TipKind.choices, default=TipKind.OBJECT)
    traced_object = models.ForeignKey(
        TracedObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tips",
        verbose_name=_("object"),
    )
    body = models.TextField(_("what you recognise"), max_length=5000)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # On a tip: where the object is sold or seen; on a report: where it happened.
    where = models.CharField(_("where it is sold or seen"), max_length=500, blank=True)
    occurred = models.CharField(_("when it happened (reports)"), max_length=200, blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    # Fernet token (see tips/crypto.py); empty when no contact was given or it was deleted.
    contact_encrypted = models.TextField(blank=True, editable=False)
    contact_deleted_at = MinuteDateTimeField(null=True, blank=True, editable=False)
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=12, choices=TipStatus.choices, default=TipStatus.NEW, db_index=True
    )
    urgent = models.BooleanField(default=False, db_index=True)
    urgent_alert_sent_at = MinuteDateTimeField(null=True, blank=True, editable=False)
    # An urgent report is never refused by a shared rate limit (a flood breaker); one taken
    # while a breaker was open is marked, so analysts know it arrived during a flood.
    held_by_breaker = models.BooleanField(_("held by flood breaker"), default=False)
    received_at = MinuteDateTimeField(_("received (to the minute)"), db_index=True)
    closed_at = MinuteDateTimeField(null=True, blank=True)
    # scrypt of the receipt: lets a tipster find their tip, tells an attacker nothing.
    # NULL once invalidated: unique allows many NULLs, but not many empty strings.
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    receipt_invalidated_at = MinuteDateTimeField(null=True, blank=True, editable=False)
    # HMAC of the form's one-time token: a form sent twice (reload, double click, a retry
    # after a lost answer) never makes a second tip. A random token says nothing about anyone.
    submission_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    # Triage (the back office's queue).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tips",
        verbose_name=_("assignee"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    first_triaged_at = MinuteDateTimeField(null=True, blank=True, editable=False)
    # When the tipster last answered a question (a follow-up that brought a tip waiting for
    # information back to the analysts); with status "in review" it means "answered, to read".
    answered_at = MinuteDateTimeField(null=True, blank=True, editable=False)
    # Why an analyst rejected the tip (tips/triage.py tip_reject); empty unless rejected.
    rejected_reason = models.CharField(
        _("rejected as"), max_length=12, choices=RejectReason.choices, blank=True, editable=False
    )
    # Where the tip came from: "web" for the public forms, else the channel of an import
    # (`manage.py import_tips`: "hotline", "mail", a partner agency) and its own reference.
    source = models.CharField(_("source"), max_length=40, default="web")
    ref = models.CharField(_("reference in its source"), max_length=100, blank=True)
    # A tip relayed to us by a partner portal (tips/inbound.py): the portal, and the id of
    # its message, which a retry repeats (an acknowledgement lost): stored once.
    source_partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("relayed by"),
        db_index=False,  # tip_unique_source_message leads with it
    )
    source_message_id = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )
    # Intelligence (tips/grouping.py): the near-duplicate group, and whether an analyst put
    # the tip there by hand (then no automatic grouping ever moves it).
    group = models.ForeignKey(
        "TipGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tips",
        verbose_name=_("similar tips"),
    )
    group_by_hand = models.BooleanField(default=False, editable=False)
    # The number of tips in the tip's group (1 for a tip not grouped, or a report), capped at
    # GROUP_SIZE_CAP: the group's strength, which the queue sorts by and "take the next tip"
    # reads first. Denormalised onto the tip so that an index on the tip serves that order (a
    # sort over a join to the group cannot use one, and a million tips cannot be sorted per
    # page view). tips/grouping.py keeps it, in the transaction that changes the group; the
    # cap bounds the rows a growing group rewrites: past it, a new tip updates only itself.
    group_size = models.PositiveIntegerField(_("tips in its group"), default=1, editable=False)
    # Whether anyone has started on the tip's group: one of its tips was taken, is assigned
    # or has left "new". "Take the next tip" and the "new" view put such a group's remaining
    # new tips after every untouched group's, so two analysts do not read one group at once.
    # Denormalised onto every tip of the group for the same reason as group_size (an index
    # on the tip serves the order); tips/grouping.py keeps it, in the transaction that takes
    # a tip or changes a group. False for a tip not grouped (taking it takes all there is).
    group_read = models.BooleanField(_("group being read"), default=False, editable=False)
    # The strength of the tip's group from the evidence (tips/strength.py, docs/tips.md): the
    # best agreement score, across the object's independent groups, of what the group claims,
    # in hundredths, capped at STRENGTH_CAP; 100 (one voice) for a group alone, 0 for a held
    # or rejected flood. "Take the next tip" sorts by it before the group's size; stored on
    # the tip for the same reason as group_size.
    group_strength = models.PositiveIntegerField(
        _("strength of its group"),
        default=STRENGTH_ONE_VOICE,
        db_default=STRENGTH_ONE_VOICE,
        editable=False,
    )
    # MinHash of the body (uint32 little-endian, tips/grouping.py); NULL until analysed.
    signature = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Importing the same tip of a channel twice must not create a second one.
            models.UniqueConstraint(
                fields=["source", "ref"], condition=~Q(ref=""), name="tip_unique_source_ref"
            ),
            # A partner's message relayed twice (its acknowledgement lost) is one tip.
            models.UniqueConstraint(
                fields=["source_partner", "source_message_id"],
                condition=Q(source_partner__isnull=False),
                name="tip_unique_source_message",
            ),
            models.CheckConstraint(
                condition=Q(kind="object", traced_object__isnull=False)
                | Q(kind="report", traced_object__isnull=True),
                name="tip_object_matches_kind",
            ),
            # A reason only on a rejected tip: reopening one clears it (tips/triage.py).
            models.CheckConstraint(
                condition=Q(rejected_reason="") | Q(status="rejected"),
                name="tip_rejected_reason_only_when_rejected",
            ),
            # Retention counts from closed_at: a closed tip without it would never age out.
            models.CheckConstraint(
                condition=~Q(status__in=["closed", "rejected"]) | Q(closed_at__isnull=False),
                name="tip_closed_has_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["assigned_to", "status"]),
            # "Take the next tip" and the new tips' order: urgent first, then groups nobody
            # has started on, the strongest by evidence, then the largest, then the oldest
            # (the group's lead tip). It carries the group: the queue leaves floods out, and
            # its capped count reads this index alone (PostgreSQL; others ignore `include`).
            models.Index(
                fields=[
                    "status",
                    "-urgent",
                    "group_read",
                    "-group_strength",
                    "-group_size",
                    "received_at",
                    "id",
                ],
                include=["group_id"],
                name="tip_queue_strength",
            ),
            # The queue sorted by group strength, either way (age and id break ties).
            models.Index(fields=["group_size", "received_at", "id"], name="tip_group_strength"),
            # Reports (one tip in twenty), newest first: the "report" filter and its count.
            models.Index(
                fields=["received_at", "id"],
                condition=Q(kind="report"),
                include=["group_id"],
                name="tip_reports",
            ),
            # The "held by flood breaker" filter: a few tips among a million.
            models.Index(
                fields=["received_at", "id"],
                condition=Q(held_by_breaker=True),
                name="tip_held_by_breaker",
            ),
            # Flood detection counts a group's tips in a time window.
            models.Index(fields=["group", "received_at"], name="tip_group_time"),
            # The evidence board reads an object's tips from the index alone (tips/evidence.py).
            models.Index(
                fields=["traced_object"],
                include=["id", "group_id", "received_at", "language", "status", "urgent"],
                name="tip_board",
            ),
            # The dashboard's median wait for a first triage, over a window of first triages,
            # read from the index alone.
            models.Index(fields=["first_triaged_at", "received_at"], name="tip_first_triage"),
            # The analysts' home counts "needs information, answered": a few rows, not all.
            models.Index(
                fields=["status", "answered_at"],
                condition=Q(answered_at__isnull=False),
                name="tip_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"Tip #{self.pk}"

    @property
    def public_status(self) -> PublicStatus:
        return PUBLIC_STATUS[TipStatus(self.status)]

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_encrypted)


class TipFollowUp(models.Model):
    """Information the tipster added later through their receipt."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="follow_ups")
    body = models.TextField(max_length=5000)
    received_at = MinuteDateTimeField()
    # An answer the tipster gave on the partner portal that relayed the tip: its message id,
    # so that a retried message adds it once.
    source_message_id = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tip", "source_message_id"],
                condition=~Q(source_message_id=""),
                name="tipfollowup_unique_source_message",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up to tip #{self.tip_id}"


class TipMessage(models.Model):
    """A question or note from an analyst that the tipster reads through their receipt."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField(max_length=2000)
    # None for a question an analyst of the owner portal asked about a tip we relayed.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = MinuteDateTimeField(auto_now_add=True)
    # That question's message id: a retried message adds it once.
    source_message_id = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tip", "source_message_id"],
                condition=~Q(source_message_id=""),
                name="tipmessage_unique_source_message",
            )
        ]

    def __str__(self) -> str:
        return f"Message on tip #{self.tip_id}"


class TipNote(models.Model):
    """An analyst's internal note on a tip; never shown to the tipster."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = MinuteDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on tip #{self.tip_id}"


class TipGroup(models.Model):
    """Near-duplicate tips on one object (tips/grouping.py): analysts read groups, not tips."""

    traced_object = models.ForeignKey(
        TracedObject, on_delete=models.CASCADE, related_name="tip_groups", verbose_name=_("object")
    )
    created_at = MinuteDateTimeField(auto_now_add=True)
    flood = models.CharField(
        max_length=10, choices=FloodState.choices, default=FloodState.NONE, db_index=True
    )
    flood_detected_at = MinuteDateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(flood="none") | Q(flood_detected_at__isnull=False),
                name="tipgroup_flood_has_detected_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Group #{self.pk}"


class TipBand(models.Model):
    """One LSH band key of a group's MinHash signatures: finding a new tip's candidates is
    one indexed query on (object, key), on PostgreSQL and SQLite alike, and the index lives
    in the database, so it survives a worker restart. A key is stored once per group, with
    the member it came from (whose signature confirms a candidate)."""

    traced_object = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(TipGroup, on_delete=models.CASCADE, related_name="bands")
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "key"], name="tipband_unique_group_key")
        ]
        indexes = [models.Index(fields=["traced_object", "key"], name="tipband_lookup")]

    def __str__(self) -> str:
        return f"Band {self.key} of group #{self.group_id}"


class ClaimKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    DOMAIN = "domain", _("Web domain")
    NAME = "name", _("Name (brand or shop)")
    PLACE = "place", _("Place")


class TipClaim(models.Model):
    """Something a tip asserts (a country, a web domain, a name, a place), tallied per
    object. A place's value is its town's country and GeoNames id ("PL:3094802"); lat and
    lon say where the tip put it (the town, or the coordinates it gave)."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="claims")
    # The tip's object, copied: the board reads an object's claims as one index range.
    traced_object = models.ForeignKey(
        TracedObject,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the covering index below serves it
    )
    kind = models.CharField(max_length=10, choices=ClaimKind.choices)
    value = models.CharField(max_length=200)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # A town's name that several towns bear, picked by population alone.
    uncertain = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "kind", "value"], name="tipclaim_unique")
        ]
        indexes = [
            models.Index(fields=["kind", "value"]),
            # The evidence board reads an object's claims from this index alone, one range
            # (PostgreSQL; other databases ignore `include`): no heap page visited, no
            # look-up tip by tip (tips/evidence.py); its places alone for the activity.
            models.Index(
                fields=["traced_object", "kind"],
                include=["tip", "value", "uncertain", "lat", "lon"],
                name="tipclaim_object_tally",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class ClaimAgreement(models.Model):
    """The agreement score of one claim on one object across its independent groups
    (tips/strength.py keeps it): what a group's strength is the best of. A place's support
    counts for its country too, as on the board."""

    traced_object = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ClaimKind.choices)
    value = models.CharField(max_length=200)
    score = models.PositiveIntegerField()  # hundredths, capped at STRENGTH_CAP

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["traced_object", "kind", "value"], name="claimagreement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value} ({self.score / 100:.2f})"


from tips.activity_models import ObjectViewDay  # noqa: E402, F401 (their own modules)
from tips.tally_models import ClaimPoint, ClaimTally, TallyMark  # noqa: E402, F401
