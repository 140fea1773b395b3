"""{% object_activity obj %}: an object's activity (tips/activity.py) on pages of other apps,
such as the object's change page, which may not import tips (tests/site/test_layers.py)."""

from __future__ import annotations

from typing import Any

from django import template

from objects.models import TracedObject
from tips.activity import activity_context

register = template.Library()


@register.inclusion_tag("admin/tips/_activity.html")
def object_activity(traced_object: TracedObject) -> dict[str, Any]:
    return {"activity": activity_context(traced_object)}
