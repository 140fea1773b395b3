"""An object's public texts in the page's language, each knowing the language it is in."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from objects.models import LocalText, LocalTexts, TracedObject

register = template.Library()


@register.simple_tag
def object_texts(obj: TracedObject) -> LocalTexts:
    """{% object_texts obj as texts %}: texts.title, texts.questions, … in the page's
    language, or in English where the investigators gave no translation."""
    return obj.texts_in(get_language())


@register.simple_tag
def lang_if_other(text: LocalText) -> str:
    """lang="en" on an element whose text is not in the page's language (for screen readers)."""
    if getattr(text, "lang", None) and text.lang != get_language():
        return format_html(' lang="{}"', text.lang)
    return ""
