"""Partner portals' objects: imported from their verified signed feed, read only here.

A partner's object is a TracedObject with `owner` set, in one holding case per partner that
no investigator owns. Its texts are stored as plain text within our own field limits (every
template escapes them); its image is fetched from the partner's own origin only, then goes
through our intake exactly as an upload does (intake_store, the intake task, sanitise), so
the partner's bytes are never served as they came (docs/network.md, "Objects").
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from network.client import fetch
from network.envelope import Refused, document_verify
from network.models import Partner
from objects.imaging import ImageRejected
from objects.intake import intake_limits, intake_queue, intake_store
from objects.media import image_names, media_delete_private, media_unpublish
from objects.models import Case, Category, ObjectState, Outcome, TracedObject
from objects.services import TRANSLATION_LIMITS, object_code_next, translations_clean
from traceobject.pagecache import page_cache_bump

logger = logging.getLogger(__name__)

# A feed with more objects than this is cut here: a partner cannot make one poll endless.
MAX_PARTNER_OBJECTS = 500
OWNER_STATES = (ObjectState.PUBLISHED, ObjectState.IDENTIFIED, ObjectState.RETIRED)
# The feed's text names (objects/network_feed.py) as our fields.
FEED_FIELDS = {
    "title": "title",
    "description": "questions",
    "region": "region_hint",
    "alt": "alt_text",
}


class PartnerRemoved(Exception):
    """Nothing is imported from a partner that was removed (deactivated)."""


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # the owner's refs
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)  # "ref: reason", no visitor data

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass(frozen=True)
class PartnerItem:
    """One object of a partner's feed, checked and cut to our limits."""

    ref: str
    status: str
    updated: str
    category: str
    texts: dict[str, str]  # our field names, in English or the owner's first language
    translations: dict[str, dict[str, str]]
    outcome: str
    outcome_line: str
    image_url: str
    image_sha256: str


def _text(value: Any, limit: int) -> str:
    return str(value).strip()[:limit] if isinstance(value, str | int | float) else ""


def item_parse(raw: Any) -> PartnerItem:
    """Raises ValueError with a short reason for an item we cannot take."""
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    ref, status = _text(raw.get("ref"), 41), raw.get("status")
    if not ref or len(ref) > 40:
        raise ValueError("bad ref")
    if status not in OWNER_STATES:
        raise ValueError("bad status")
    translations = raw.get("translations")
    if not isinstance(translations, dict) or not translations:
        raise ValueError("no texts")
    # Our feed's names to our fields; the original is English if given, else the first.
    local = {
        str(language)[:10]: {
            FEED_FIELDS[name]: value for name, value in texts.items() if name in FEED_FIELDS
        }
        for language, texts in translations.items()
        if isinstance(texts, dict)
    }
    original = local.get(settings.LANGUAGE_CODE) or next(iter(local.values()), {})
    texts = {name: _text(original.get(name), limit) for name, limit in TRANSLATION_LIMITS.items()}
    if not texts["title"]:
        raise ValueError("no title")
    texts["region_hint"] = texts["region_hint"] or _text(raw.get("region"), 80)
    texts["alt_text"] = texts["alt_text"] or texts["title"]
    images = raw.get("images") if isinstance(raw.get("images"), list) else []
    image = images[0] if images and isinstance(images[0], dict) else {}
    outcome = str(raw["outcome"]) if raw.get("outcome") in Outcome.values else ""
    category = raw.get("category")
    return PartnerItem(
        ref=ref,
        status=status,
        updated=_text(raw.get("updated"), 40),
        category=category if category in Category.values else Category.OTHER,
        texts=texts,
        translations=translations_clean(local),
        outcome=outcome if status == ObjectState.IDENTIFIED else "",
        outcome_line=_text(raw.get("outcome_line"), 200),
        image_url=_text(image.get("url"), 500),
        image_sha256=_text(image.get("sha256"), 64).lower(),
    )


def partner_case(*, partner: Partner) -> Case:
    """The case holding a partner's objects: owned by nobody here, so no investigator of
    ours can change them, and every page that expects a case still finds one."""
    case, _created = Case.objects.get_or_create(
        reference=f"partner-{partner.pk}", defaults={"title": partner.name[:200]}
    )
    return case


def image_fetch(*, partner: Partner, item: PartnerItem) -> bytes:
    """The partner's image bytes, from its own origin only, within both caps; checked
    against the digest its signed feed gave. Raises Refused or ImageRejected."""
    cap = min(settings.NETWORK_MAX_IMAGE_BYTES, intake_limits().max_bytes)
    fetched = fetch(partner=partner, url=item.image_url, max_bytes=cap)
    if fetched.status != 200:
        raise Refused("http_error")
    if item.image_sha256 and hashlib.sha256(fetched.body).hexdigest() != item.image_sha256:
        raise ImageRejected("the image is not the one the signed feed names")
    return fetched.body


def partner_objects_import(*, partner: Partner, payload: dict[str, Any]) -> ImportResult:
    """Create, update, identify and retire a partner's objects from its verified feed
    payload. An object missing from the feed is left as it is (the feed holds the latest
    changes only); one bad object is refused without stopping the others."""
    partner.refresh_from_db(fields=["active"])
    if not partner.active:
        raise PartnerRemoved(partner.origin)
    items = payload.get("objects") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise ValueError("the payload has no list of objects")
    result = ImportResult()
    case = partner_case(partner=partner)
    for raw in items[:MAX_PARTNER_OBJECTS]:
        try:
            item = item_parse(raw)
            _import_one(partner=partner, case=case, item=item, result=result)
        except (ValueError, Refused, ImageRejected, IntegrityError) as exc:
            reason = getattr(exc, "reason", None) or str(exc)[:100]
            ref = _text(raw.get("ref") if isinstance(raw, dict) else "", 40)
            result.refused.append(f"{ref}: {reason}")
            logger.warning("partner %s: object %s refused: %s", partner.origin, ref, reason)
    if result.changed:
        page_cache_bump()
    return result


def _import_one(*, partner: Partner, case: Case, item: PartnerItem, result: ImportResult) -> None:
    existing = TracedObject.objects.filter(owner=partner, owner_ref=item.ref).first()
    if existing is None and item.status == ObjectState.RETIRED:
        result.unchanged += 1  # never shown here: nothing to take back
        return
    new_image = (
        item.status != ObjectState.RETIRED
        and bool(item.image_url)
        and (existing is None or existing.owner_image_sha256 != item.image_sha256)
    )
    if (
        existing is not None
        and not new_image
        and existing.owner_updated == item.updated
        and existing.owner_state == item.status
    ):
        result.unchanged += 1
        return
    image = image_fetch(partner=partner, item=item) if new_image else None
    with transaction.atomic():
        if existing is None:
            _create(partner=partner, case=case, item=item, image=image)
            result.created.append(item.ref)
        else:
            _update(obj=existing, item=item, image=image)
            result.updated.append(item.ref)
    if existing is not None and item.status == ObjectState.RETIRED:
        # Once committed, as object_retire: nothing of a retired object stays public.
        media_unpublish(obj=existing)


def _texts(item: PartnerItem) -> dict[str, Any]:
    return {
        **item.texts,
        "category": item.category,
        "translations": item.translations,
        "outcome": item.outcome,
        "outcome_public_line": item.outcome_line if item.outcome else "",
        "owner_state": item.status,
        "owner_updated": item.updated,
    }


def _state_dates(status: str, obj: TracedObject | None = None) -> dict[str, Any]:
    now = timezone.now()
    dates: dict[str, Any] = {"published_at": (obj and obj.published_at) or now}
    if status == ObjectState.IDENTIFIED:
        dates["identified_at"] = (obj and obj.identified_at) or now
    if status == ObjectState.RETIRED:
        dates["retired_at"] = (obj and obj.retired_at) or now
    return dates


def _create(*, partner: Partner, case: Case, item: PartnerItem, image: bytes | None) -> None:
    values = {**_texts(item), **_state_dates(item.status)}
    if image is None:
        values["state"] = item.status  # an object without an image is public at once
    else:
        values["state"] = ObjectState.DRAFT  # public once our intake made its images
        values["intake_path"] = intake_store(io.BytesIO(image), intake_limits().max_bytes).name
        values["owner_image_sha256"] = item.image_sha256
    obj = TracedObject.objects.create(
        code=object_code_next(year=timezone.now().year),
        case=case,
        owner=partner,
        owner_ref=item.ref,
        **values,
    )
    if image is not None:
        intake_queue(object_id=obj.pk)


def _update(*, obj: TracedObject, item: PartnerItem, image: bytes | None) -> None:
    values = {**_texts(item), **_state_dates(item.status, obj), "updated_at": timezone.now()}
    waiting = obj.state in (ObjectState.DRAFT, ObjectState.FAILED)
    if image is not None:
        # A new image: the object waits for our intake again; the old files go.
        media_unpublish(obj=obj)
        media_delete_private(image_names(obj))
        values.update(
            state=ObjectState.DRAFT,
            intake_path=intake_store(io.BytesIO(image), intake_limits().max_bytes).name,
            intake_attempts=0,
            owner_image_sha256=item.image_sha256,
            display="",
            thumbnail="",
        )
    elif item.status == ObjectState.RETIRED or not waiting:
        # The owner's word on its state, applied at once (a draft takes it after intake).
        values["state"] = item.status
    TracedObject.objects.filter(pk=obj.pk).update(**values)
    if image is not None:
        intake_queue(object_id=obj.pk)


# --- Polling ----------------------------------------------------------------------------

# Backoff after failures: the poll interval doubled each time, up to an hour.
MAX_BACKOFF_SECONDS = 3600
# A poll holds its partner this long (next_poll_at moved ahead), so two workers running
# the beat job at once do not poll the same partner twice.
POLL_LEASE_SECONDS = 600


def feed_max_bytes() -> int:
    """The signed feed may be larger than a message (every object in every language): the
    cap network.envelope.document_verify applies to a document."""
    return 64 * settings.NETWORK_MAX_MESSAGE_BYTES


def partners_due() -> list[int]:
    now = timezone.now()
    return list(
        Partner.objects.filter(active=True)
        .exclude(feed_url="")
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .values_list("pk", flat=True)
    )


def partners_poll_due() -> int:
    """Poll every active partner whose turn it is (the beat job); how many were polled."""
    return sum(partner_poll(partner_id=partner_id) for partner_id in partners_due())


def _claim(partner_id: int) -> Partner | None:
    now = timezone.now()
    claimed = (
        Partner.objects.filter(pk=partner_id, active=True)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .update(next_poll_at=now + timedelta(seconds=POLL_LEASE_SECONDS))
    )
    return Partner.objects.get(pk=partner_id) if claimed else None


def partner_poll(*, partner_id: int) -> bool:
    """One conditional GET of the partner's signed feed, verified and imported; on failure
    the partner is polled again later and later (failures, next_poll_at, last_error).
    False when it was not this partner's turn (or it was removed)."""
    partner = _claim(partner_id)
    if partner is None:
        return False
    try:
        fetched = fetch(
            partner=partner,
            url=partner.feed_url,
            max_bytes=feed_max_bytes(),
            etag=partner.etag,
            last_modified=partner.last_modified,
        )
        if fetched.status not in (200, 304):
            raise Refused("http_error")
        if fetched.status == 200:
            payload = document_verify(partner=partner, raw=fetched.body, kind="objects")
            result = partner_objects_import(partner=partner, payload=payload)
            logger.info(
                "partner %s polled: %d new, %d changed, %d refused",
                partner.origin,
                len(result.created),
                len(result.updated),
                len(result.refused),
            )
    except PartnerRemoved:
        return False
    except Refused as exc:
        _poll_failed(partner, f"refused: {exc.reason}")
    except (OSError, ValueError) as exc:
        _poll_failed(partner, f"{type(exc).__name__}: {str(exc)[:200]}")
    else:
        _poll_succeeded(partner, fetched)
    return True


def _poll_succeeded(partner: Partner, fetched: Any) -> None:
    now = timezone.now()
    values: dict[str, Any] = {
        "failures": 0,
        "last_error": "",
        "last_poll_at": now,
        "next_poll_at": now + timedelta(seconds=settings.NETWORK_POLL_SECONDS),
    }
    if fetched.status == 200:
        values.update(etag=fetched.etag[:200], last_modified=fetched.last_modified[:100])
    Partner.objects.filter(pk=partner.pk).update(**values)


def poll_backoff_seconds(failures: int) -> int:
    return min(settings.NETWORK_POLL_SECONDS * 2 ** min(failures, 20), MAX_BACKOFF_SECONDS)


def _poll_failed(partner: Partner, error: str) -> None:
    """The error is ours or the partner's (a reason, an HTTP status): never visitor data."""
    now = timezone.now()
    failures = partner.failures + 1
    Partner.objects.filter(pk=partner.pk).update(
        failures=failures,
        last_error=error[:300],
        last_poll_at=now,
        next_poll_at=now + timedelta(seconds=poll_backoff_seconds(failures)),
    )
    logger.warning("partner %s poll failed (%d in a row): %s", partner.origin, failures, error)
