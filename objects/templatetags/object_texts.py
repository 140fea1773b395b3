"""An object's public texts in the page's language, each knowing the language it is in."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_bidi, get_language_info

from objects.models import LocalText, LocalTexts, TracedObject

register = template.Library()


@register.simple_tag
def object_texts(obj: TracedObject) -> LocalTexts:
    """{% object_texts obj as texts %}: texts.title, texts.questions, … in the page's
    language, or in English where the investigators gave no translation."""
    return obj.texts_in(get_language())


@register.simple_tag
def lang_if_other(text: LocalText) -> str:
    """lang="en" on an element whose text is not in the page's language (for screen readers),
    and dir="ltr" when that text reads the other way from the page ("?Where is it sold")."""
    if getattr(text, "lang", None) and text.lang != get_language():
        if get_language_bidi() != get_language_info(text.lang)["bidi"]:
            direction = "rtl" if get_language_info(text.lang)["bidi"] else "ltr"
            return format_html(' lang="{}" dir="{}"', text.lang, direction)
        return format_html(' lang="{}"', text.lang)
    return ""


@register.filter
def bdi(name: str) -> SafeString | str:
    """A name isolated from the sentence around it, escaped: a partner's name ending in a
    bracket, "Politie (NL)", keeps the bracket in its place in an Arabic sentence."""
    return format_html("<bdi>{}</bdi>", name) if name else ""
