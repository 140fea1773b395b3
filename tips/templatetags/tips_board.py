"""{% board_group row acting %}: one group of the evidence board (tips/board_html.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tips.board import BoardGroup
from tips.board_html import Acting, group_article

register = template.Library()


@register.simple_tag
def board_group(row: BoardGroup, acting: Acting) -> SafeString:
    return group_article(row, acting)
