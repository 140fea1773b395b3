"""The tip queue's columns and a tip page's read-only fields, for TipAdmin.

Each is a function of the tip, decorated like a ModelAdmin method and set on TipAdmin as a
static method, so the admin finds it by name. Everything a tipster wrote is escaped
(format_html_join or plain strings); links are never made clickable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries

from objects.staff_images import fitted, staff_image_url
from tips.claims import claim_spans
from tips.display import links_as_text
from tips.models import GROUP_SIZE_CAP, FloodState, Tip, TipClaim
from tips.selectors import PREVIEW_CHARS

QUEUE_THUMBNAIL_SIDE = 48  # pixels: the long side of the object's thumbnail in the queue


def humanised_age(received_at: datetime, now: datetime) -> str:
    age = now - received_at
    if age < timedelta(hours=1):
        return _("%(minutes)d min") % {"minutes": max(0, age // timedelta(minutes=1))}
    if age < timedelta(days=1):
        return _("%(hours)d h") % {"hours": age // timedelta(hours=1)}
    return _("%(days)d d") % {"days": age.days}


def group_size_text(size: int) -> str:
    if size >= GROUP_SIZE_CAP:
        return _("%(count)d+ tips") % {"count": GROUP_SIZE_CAP}
    return ngettext("%(count)d tip", "%(count)d tips", size) % {"count": size}


def _claims_of(tip: Tip) -> list[TipClaim]:
    """The tip's claims, read once for the claims field and the marked text."""
    if "_claims" not in tip.__dict__:
        tip.__dict__["_claims"] = list(tip.claims.all())
    claims: list[TipClaim] = tip.__dict__["_claims"]
    return claims


def _annotated(tip: Tip, name: str) -> Any:
    """A value the back office's query annotated onto the row (tips.selectors)."""
    return tip.__dict__[name]


@admin.display(description=gettext_lazy("object"))
def object_code(tip: Tip) -> str:
    return tip.traced_object.code if tip.traced_object else _("report")


@admin.display(description=gettext_lazy("object"))
def object_thumbnail(tip: Tip) -> str:
    """The object's thumbnail above its code (staff see unpublished images too)."""
    obj = tip.traced_object
    if obj is None:
        return format_html('<span class="tip-report">{}</span>', _("report"))
    if not obj.thumbnail:
        return obj.code
    width, height = fitted(obj.thumbnail_width, obj.thumbnail_height, QUEUE_THUMBNAIL_SIDE)
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" loading="lazy" class="tip-thumb">'
        '<span class="tip-code">{}</span>',
        staff_image_url(obj.pk, "thumbnail"),
        width,
        height,
        obj.code,
    )


@admin.display(description=gettext_lazy("text"))
def preview(tip: Tip) -> str:
    """The start of what the tipster wrote, cut in SQL (the queue never reads bodies)."""
    start: str = _annotated(tip, "preview_text")
    text = " ".join(start.split())
    if len(start) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS].rstrip() + "…"
    return text


@admin.display(description=gettext_lazy("group"), ordering="-group_size")
def strength(tip: Tip) -> SafeString:
    """The size of its group of similar tips (its strength), the group (~id, ⚑ a flood)
    and the analyst's duplicate group (#root)."""
    size = group_size_text(tip.group_size)
    parts = []
    if tip.group_id and tip.group is not None:
        flood = " ⚑" if tip.group.flood != FloodState.NONE else ""
        parts.append(f"~{tip.group_id}{flood}")
    if tip.duplicate_of_id:
        parts.append(f"#{tip.duplicate_of_id}")
    return format_html(
        '<span class="tip-size">{}</span> <span class="tip-group">{}</span>',
        size,
        " ".join(parts),
    )


@admin.display(description=gettext_lazy("state"))
def state(tip: Tip) -> SafeString:
    """Status, urgency, assignee, follow-ups and contact in one cell: an urgent tip says
    so in a red label, not a small icon."""
    labels = []
    if tip.urgent:
        labels.append(("tip-label tip-label-urgent", _("Urgent")))
    if tip.held_by_breaker:
        labels.append(("tip-label tip-label-held", _("Held by flood breaker")))
    labels.append(("tip-status", tip.get_status_display()))
    details = [assignee(tip)]
    follow_ups: int = _annotated(tip, "follow_up_count")
    if follow_ups:
        details.append(
            ngettext("%(count)d follow-up", "%(count)d follow-ups", follow_ups)
            % {"count": follow_ups}
        )
    if has_contact(tip):
        details.append(_("contact given"))
    return format_html(
        '{}<span class="tip-details">{}</span>',
        format_html_join(" ", '<span class="{}">{}</span>', labels),
        format_html_join(" · ", "<span>{}</span>", ((detail,) for detail in details)),
    )


@admin.display(description=gettext_lazy("age"), ordering="received_at")
def age(tip: Tip) -> str:
    return humanised_age(tip.received_at, timezone.now())


@admin.display(description=gettext_lazy("source"))
def source_ref(tip: Tip) -> str:
    return f"{tip.source} {tip.ref}".strip()


@admin.display(description=gettext_lazy("group of similar tips"))
def similar_group(tip: Tip) -> str:
    group = tip.group
    if tip.group_id is None or group is None:
        return _("not grouped yet")
    parts = [_("#%(id)d, %(size)s") % {"id": group.pk, "size": group_size_text(tip.group_size)}]
    if group.flood != FloodState.NONE:
        parts.append(group.get_flood_display())
    if tip.group_by_hand:
        parts.append(_("placed by hand"))
    return "; ".join(parts)


@admin.display(description=gettext_lazy("claims"))
def claims_text(tip: Tip) -> str:
    claims = [f"{claim.get_kind_display()}: {claim.value}" for claim in _claims_of(tip)]
    return "; ".join(claims) or "-"


@admin.display(description=gettext_lazy("what you recognise"))
def body_marked(tip: Tip) -> SafeString:
    """What the tipster wrote, escaped, its claims (country, domain, name) in <mark>."""
    claims = {(claim.kind, claim.value) for claim in _claims_of(tip)}
    pieces, at = [], 0
    for start, end, kind in claim_spans(tip.body, claims):
        pieces.append(
            format_html(
                '{}<mark class="tip-claim tip-claim-{}">{}</mark>',
                tip.body[at:start],
                kind,
                tip.body[start:end],
            )
        )
        at = end
    pieces.append(format_html("{}", tip.body[at:]))
    return format_html(
        '<div class="tip-body">{}</div>', format_html_join("", "{}", ((p,) for p in pieces))
    )


@admin.display(description=gettext_lazy("assignee"), ordering="assigned_to__username")
def assignee(tip: Tip) -> str:
    return tip.assigned_to.get_username() if tip.assigned_to else "—"


@admin.display(description=gettext_lazy("contact"), boolean=True)
def has_contact(tip: Tip) -> bool:
    present = getattr(tip, "contact_present", None)  # the queue's annotation
    return bool(tip.has_contact if present is None else present)


@admin.display(description=gettext_lazy("follow-ups"), ordering="follow_up_count")
def follow_up_count(tip: Tip) -> int:
    return int(_annotated(tip, "follow_up_count"))


@admin.display(description=gettext_lazy("What was reported"))
def reported_body(tip: Tip) -> str:
    return tip.body  # plain text: the admin escapes it and keeps its line breaks


@admin.display(description=gettext_lazy("country"))
def country_name(tip: Tip) -> str:
    if not tip.country:
        return "-"
    return f"{countries.name(tip.country) or '?'} ({tip.country})"


@admin.display(description=gettext_lazy("links (not opened, not clickable)"))
def links_text(tip: Tip) -> str:
    return links_as_text(tip.links)


@admin.display(description=gettext_lazy("contact details given"))
def contact_given(tip: Tip) -> str:
    if tip.has_contact:
        return _("yes")
    if tip.contact_deleted_at:
        return _("no: deleted on %(date)s by the retention schedule") % {
            "date": timezone.localtime(tip.contact_deleted_at).strftime("%Y-%m-%d")
        }
    return _("no")


@admin.display(description=gettext_lazy("receipt"))
def receipt_state(tip: Tip) -> str:
    if tip.receipt_invalidated_at:
        return _("expired on %(date)s by the retention schedule") % {
            "date": timezone.localtime(tip.receipt_invalidated_at).strftime("%Y-%m-%d")
        }
    return _("works: the tipster can read questions and add information")
