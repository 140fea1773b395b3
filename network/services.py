"""Adding, refreshing and removing partner portals: every change audited (docs/network.md,
"Two agencies in ten minutes")."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction

from audit.services import log_action
from network import client, keys
from network.envelope import document_verify, refusal_record
from network.models import Partner
from network.refused import Refused
from traceobject.clock import minute_now
from traceobject.env import is_raw_key
from traceobject.pagecache import page_cache_bump

WELL_KNOWN_PATH = "/.well-known/traceobject.json"


class PartnerError(ValueError):
    """What the administrator typed cannot be a partner (the message says why)."""


def _well_known_raw(partner: Partner) -> bytes:
    fetched = client.fetch(
        partner=partner,
        url=partner.origin + WELL_KNOWN_PATH,
        max_bytes=settings.NETWORK_MAX_MESSAGE_BYTES,
    )
    if fetched.status != 200:
        refused = Refused("http_error", f"well-known answered {fetched.status}")
        refusal_record(refused, partner=partner)
        raise refused
    return fetched.body


def _checked(partner: Partner, payload: dict[str, Any]) -> dict[str, Any]:
    """The well-known's fields we keep, once they are what a partner's must be."""
    signing = payload.get("signing_keys")
    sealing = payload.get("encryption_key")
    if not (
        isinstance(signing, list)
        and signing
        and all(isinstance(k, str) and is_raw_key(k) for k in signing)
        and isinstance(sealing, str)
        and is_raw_key(sealing)
        and payload.get("origin") == partner.origin
    ):
        refused = Refused("malformed", "well-known")
        refusal_record(refused, partner=partner)
        raise refused
    urls = {"feed_url": payload.get("feed"), "inbox_url": payload.get("inbox")}
    for url in urls.values():
        try:
            on_origin = isinstance(url, str) and keys.origin_of(url) == partner.origin
        except ValueError:
            on_origin = False
        if not on_origin:
            refused = Refused("off_origin", "well-known endpoint")
            refusal_record(refused, partner=partner)
            raise refused
    name = payload.get("name")
    return {
        "signing_keys": list(signing),
        "encryption_key": sealing,
        "name": name[:200] if isinstance(name, str) else "",
        **urls,
    }


def partner_add(*, origin: str, fingerprint: str, name: str = "", by: Any = None) -> Partner:
    """Pins a partner by the fingerprint of its signing key, read out of band: its well-known
    document must list that key and be signed by it. Raises PartnerError or Refused."""
    try:
        origin = keys.origin_of(origin)
    except ValueError:
        raise PartnerError(
            "The origin must be an http(s) address such as https://tips.example.org"
        ) from None
    wanted = keys.fingerprint_normalise(fingerprint)
    if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
        raise PartnerError("The fingerprint must be 64 hexadecimal digits")
    if origin == keys.our_origin():
        raise PartnerError("That is this portal's own origin")
    existing = Partner.objects.filter(origin=origin).first()
    if existing is not None and existing.active:
        raise PartnerError("That portal is already a partner")
    candidate = existing or Partner(origin=origin)
    raw = _well_known_raw(candidate)
    try:
        unverified = json.loads(json.loads(raw)["body"])
        listed = [k for k in unverified["signing_keys"] if isinstance(k, str) and is_raw_key(k)]
    except (ValueError, KeyError, TypeError):
        listed = []
    pinned = [k for k in listed if keys.fingerprint(k) == wanted]
    if not pinned:
        refused = Refused("fingerprint_mismatch")
        refusal_record(refused, partner=candidate, origin=origin)
        raise refused
    candidate.signing_keys = pinned
    fields = _checked(candidate, document_verify(partner=candidate, raw=raw, kind="well-known"))
    fields["name"] = name.strip()[:200] or fields["name"] or origin
    with transaction.atomic():
        partner, _ = Partner.objects.update_or_create(
            origin=origin,
            defaults={
                **fields,
                "fingerprint": wanted,
                "active": True,
                "removed_at": None,
                "failures": 0,
                "last_error": "",
            },
        )
        log_action(
            "network.partner_added",
            user=by,
            target=partner,
            data={"origin": origin, "fingerprint": wanted},
        )
        # A partner added again shows its objects again, maybe under a new name.
        transaction.on_commit(page_cache_bump)
    return partner


def partner_remove(*, partner: Partner, by: Any = None) -> bool:
    """Cuts a partner off at once: its next message is refused as removed_sender, and its
    objects leave the public pages, cached ones included. Harmless when repeated."""
    with transaction.atomic():
        changed = Partner.objects.filter(pk=partner.pk, active=True).update(
            active=False, removed_at=minute_now()
        )
        if changed:
            log_action(
                "network.partner_removed", user=by, target=partner, data={"origin": partner.origin}
            )
            # Once committed: bumped earlier, a page rendered from the old rows could be
            # stored under the new version (objects/services.py does the same).
            transaction.on_commit(page_cache_bump)
    partner.refresh_from_db()
    return bool(changed)


def partner_refresh(*, partner: Partner) -> Partner:
    """Re-reads the partner's well-known document. A new signing key (a rotation) is accepted
    only in a document signed by a key we already accept, so a stolen origin alone (its DNS or
    its server) cannot swap the keys."""
    if not partner.active:
        raise PartnerError("A removed partner is not refreshed")
    raw = _well_known_raw(partner)
    fields = _checked(partner, document_verify(partner=partner, raw=raw, kind="well-known"))
    fields.pop("name")
    changed = {k: v for k, v in fields.items() if getattr(partner, k) != v}
    if changed:
        with transaction.atomic():
            Partner.objects.filter(pk=partner.pk).update(**changed)
            log_action(
                "network.partner_refreshed",
                target=partner,
                data={"origin": partner.origin, "changed": sorted(changed)},
            )
        partner.refresh_from_db()
    return partner
