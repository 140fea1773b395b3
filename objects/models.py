"""Cases and the objects published from them.

A case is internal (never shown publicly). A `TracedObject` is one sanitised crop with its
lifecycle: draft (uploaded, being processed) → awaiting approval → published → identified →
retired, or failed when the crop could not be processed. Transitions live in services.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="owned_cases", verbose_name=_("owning investigators")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference


class Category(models.TextChoices):
    CLOTHING = "clothing", _("Clothing")
    PACKAGING = "packaging", _("Packaging")
    FURNITURE = "furniture", _("Furniture")
    TEXTILE = "textile", _("Textile")
    TOY = "toy", _("Toy")
    PRINT = "print", _("Print or document")
    BUILDING = "building", _("Building or landscape")
    VEHICLE = "vehicle", _("Vehicle")
    OTHER = "other", _("Other")


class ObjectState(models.TextChoices):
    DRAFT = "draft", _("Draft (processing)")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    PUBLISHED = "published", _("Published")
    IDENTIFIED = "identified", _("Identified")
    RETIRED = "retired", _("Retired")
    FAILED = "failed", _("Failed")


PUBLIC_STATES = (ObjectState.PUBLISHED, ObjectState.IDENTIFIED)


class Outcome(models.TextChoices):
    COUNTRY_NARROWED = "country_narrowed", _("Country narrowed")
    LEAD_ELIMINATED = "lead_eliminated", _("Sold worldwide, lead eliminated")


# The texts an investigator may give in every language; the fields themselves hold English
# (LANGUAGE_CODE), which a page shows, marked lang="en", where a translation is missing.
TRANSLATED_FIELDS = ("title", "questions", "region_hint", "alt_text")


class LocalText(str):
    """A text in the page's language, or its English original: `lang` says which."""

    lang: str

    def __new__(cls, value: str, lang: str) -> LocalText:
        text = super().__new__(cls, value)
        text.lang = lang
        return text


class LocalTexts:
    """texts["title"] (or {{ texts.title }}): each worked out only when read, so a gallery
    card never loads a field its query left out."""

    def __init__(self, obj: TracedObject, language: str) -> None:
        self.obj, self.language = obj, language

    def __getitem__(self, field: str) -> LocalText:
        if field not in TRANSLATED_FIELDS:
            raise KeyError(field)
        return self.obj.text_in(field, self.language)


class TracedObjectQuerySet(models.QuerySet):
    def public(self) -> TracedObjectQuerySet:
        return self.filter(state__in=PUBLIC_STATES).shown()

    def shown(self) -> TracedObjectQuerySet:
        """Ours, or an active partner's: a removed partner's objects go with it, since we
        would no longer learn that one was identified or retired."""
        return self.filter(Q(owner__isnull=True) | Q(owner__active=True))

    def ours(self) -> TracedObjectQuerySet:
        return self.filter(owner__isnull=True)

    def visible_to(self, user: Any) -> TracedObjectQuerySet:
        """Staff see every public or retired object, and unpublished ones of their own cases."""
        if user.is_superuser:
            return self
        return self.filter(
            Q(state__in=(*PUBLIC_STATES, ObjectState.RETIRED)) | Q(case__owners=user)
        ).distinct()

    def awaiting_approval_by(self, user: Any) -> TracedObjectQuerySet:
        """Uploads of the user's cases waiting for a second investigator: not their own
        (four eyes: nobody approves their own upload)."""
        return self.filter(state=ObjectState.AWAITING_APPROVAL, case__owners=user).exclude(
            uploaded_by=user
        )


class TracedObject(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="traced_objects")
    title = models.CharField(_("title"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    questions = models.TextField(
        _("questions for the public"),
        max_length=1000,
        help_text=_("What should the public tell us? e.g. 'Where is this sold?'"),
    )
    region_hint = models.CharField(
        _("region hint"),
        max_length=80,
        blank=True,
        help_text=_("e.g. 'Europe' or 'South-East Asia'"),
    )
    alt_text = models.CharField(
        _("alt text"), max_length=300, help_text=_("Describes the image for screen readers.")
    )
    state = models.CharField(
        max_length=20, choices=ObjectState.choices, default=ObjectState.DRAFT, db_index=True
    )
    failure_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_public_line = models.CharField(_("public outcome"), max_length=200, blank=True)
    # {"fr": {"title": "…", "questions": "…", …}, …}: written by objects.services only.
    translations = models.JSONField(_("translations"), default=dict, blank=True, editable=False)

    # Null only for a partner's object, which nobody here uploaded (see `owner`).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uploaded_objects",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_objects",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    identified_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    # The upload waiting for the intake task, outside MEDIA_ROOT; emptied once processed.
    intake_path = models.CharField(max_length=255, blank=True, editable=False)
    # Intake runs started on this draft; bounded so an image that kills the worker cannot
    # be retried for ever (objects.intake.MAX_INTAKE_ATTEMPTS).
    intake_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    display = models.ImageField(upload_to="objects/", blank=True, editable=False)
    display_width = models.PositiveIntegerField(null=True, editable=False)
    display_height = models.PositiveIntegerField(null=True, editable=False)
    # Hex SHA-256 of the display file, set by the intake: feeds publish it so a re-publisher
    # can check that the copy they serve is ours, unaltered (objects/feeds.py).
    display_sha256 = models.CharField(max_length=64, blank=True, editable=False, db_default="")
    thumbnail = models.ImageField(upload_to="objects/thumbs/", blank=True, editable=False)
    thumbnail_width = models.PositiveIntegerField(null=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, editable=False)
    phash = models.CharField(max_length=16, blank=True, editable=False)

    # A partner portal's object (objects/partners.py), null for ours. PROTECT: a partner is
    # removed by deactivating it (network.services.partner_remove), never deleted, and its
    # objects keep saying whose they are. Read only here: only its owner changes it.
    owner = models.ForeignKey(
        "network.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,  # object_owner_ref_unique leads with it
    )
    owner_ref = models.CharField(
        max_length=40, blank=True, editable=False, default="", db_default=""
    )  # the owner's code
    # What the owner's feed said last: its status (applied once our intake has processed the
    # image), its "updated" minute and its image's SHA-256 (to fetch an image only when new).
    owner_state = models.CharField(
        max_length=20, blank=True, editable=False, default="", db_default=""
    )
    owner_updated = models.CharField(
        max_length=40, blank=True, editable=False, default="", db_default=""
    )
    owner_image_sha256 = models.CharField(
        max_length=64, blank=True, editable=False, default="", db_default=""
    )

    objects = TracedObjectQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("object")
        verbose_name_plural = _("objects")
        permissions = [
            ("publish_tracedobject", "Can approve and publish another investigator's object"),
            ("identify_tracedobject", "Can mark an object identified"),
            ("retire_tracedobject", "Can retire an object"),
        ]
        indexes = [models.Index(fields=["state", "category"])]
        constraints = [
            # Four eyes: nobody approves their own upload.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("uploaded_by")),
                name="object_approver_is_not_uploader",
            ),
            # A partner's object was approved by its owner, under the owner's rules.
            models.CheckConstraint(
                condition=~Q(state__in=PUBLIC_STATES)
                | Q(approved_by__isnull=False, published_at__isnull=False)
                | Q(owner__isnull=False, published_at__isnull=False),
                name="object_public_only_when_approved",
            ),
            models.CheckConstraint(
                condition=~Q(state=ObjectState.IDENTIFIED)
                | ~Q(outcome="")
                | Q(owner__isnull=False),
                name="object_identified_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(uploaded_by__isnull=False),
                name="object_ours_has_uploader",
            ),
            models.UniqueConstraint(
                fields=["owner", "owner_ref"],
                condition=Q(owner__isnull=False),
                name="object_owner_ref_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_ours(self) -> bool:
        return self.owner_id is None

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    def text_in(self, field: str, language: str) -> LocalText:
        """The public text in `language`, or the English original when not translated."""
        translated = (self.translations or {}).get(language, {}).get(field, "")
        if translated:
            return LocalText(translated, language)
        return LocalText(getattr(self, field), settings.LANGUAGE_CODE)

    def texts_in(self, language: str) -> LocalTexts:
        return LocalTexts(self, language)


class ObjectCodeCounter(models.Model):
    """The last number handed out per year, for codes such as TAO-2026-0042."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Resemblance(models.Model):
    """A crop whose perceptual hash is close to an earlier one: maybe the same object."""

    new = models.ForeignKey(TracedObject, on_delete=models.CASCADE, related_name="resembles")
    existing = models.ForeignKey(
        TracedObject, on_delete=models.CASCADE, related_name="resembled_by"
    )
    distance = models.PositiveSmallIntegerField()
    # When the owners of the existing object's case, if it is another case, were mailed.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["distance"]
        constraints = [
            models.UniqueConstraint(fields=["new", "existing"], name="resemblance_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.new_id} looks like {self.existing_id} (distance {self.distance})"
