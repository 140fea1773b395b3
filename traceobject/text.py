"""Cleaning what people type, visitors and staff alike: no control characters, no
bidirectional overrides. Here rather than in an app so every app may import it; it imports
no app itself."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy, ngettext_lazy

# Bidirectional embedding, override, isolate and mark characters can make text read
# differently from what it says ("Trojan Source", "exe.txt" shown for "txt.exe");
# zero-width spaces and BOM characters hide content. Most are format characters (Cf), which
# are all removed below; they are listed too so the intent survives any change to that rule.
_INVISIBLE = frozenset(
    "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
# The zero-width joiner and non-joiner are part of what people write: one family emoji is
# three people joined by two of them, and Persian or Malayalam words need them. Kept only
# between two visible characters, so a run of them can hide nothing.
_JOINERS = frozenset("\u200c\u200d")
# Tag characters spell a subdivision flag after a black flag (Scotland's, Wales's); anywhere
# else they are invisible text, and are removed.
_BLACK_FLAG = "\U0001f3f4"
_TAGS = range(0xE0020, 0xE0080)
_KEEP = {"\n", "\t"}
# Control, format, surrogate, private-use and unassigned code points.
_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(value: str, *, multiline: bool = True) -> str:
    """`value` without invisible or control characters; newlines and tabs are kept only
    when `multiline` (a single line gets a space for each), and blank runs are shortened."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept: list[str] = []
    for ch in value:
        if ch in _INVISIBLE:
            continue
        if ch in _JOINERS:
            if kept and not kept[-1].isspace() and kept[-1] not in _JOINERS:
                kept.append(ch)
            continue
        if ord(ch) in _TAGS:
            if kept and (kept[-1] == _BLACK_FLAG or ord(kept[-1]) in _TAGS):
                kept.append(ch)
            continue
        if ch in _KEEP and multiline:
            kept.append(ch)
        elif unicodedata.category(ch) in _REMOVED_CATEGORIES:
            kept.append(" " if ch in _KEEP else "")
        else:
            kept.append(ch)
    # A joiner with nothing visible after it joins nothing.
    text = re.sub("[\u200c\u200d]+(?=\\s|$)", "", "".join(kept))
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# {count} and {max} are filled in by static/js/counter.js, written in the page's digits.
COUNT_TEXT = gettext_lazy("{count} of at most {max} characters")
OVER_TEXT = gettext_lazy(
    "Too long: {count} of at most {max} characters. Nothing was cut: shorten it before sending."
)
REQUIRED = gettext_lazy("Please fill this in.")
TOO_SHORT = ngettext_lazy(
    "Please write at least %(limit_value)d character.",
    "Please write at least %(limit_value)d characters.",
    "limit_value",
)
TOO_LONG = ngettext_lazy(
    "This text has %(show_value)d character; the limit is %(limit_value)d. Nothing was cut: "
    "shorten it and send it again.",
    "This text has %(show_value)d characters; the limit is %(limit_value)d. Nothing was cut: "
    "shorten it and send it again.",
    "show_value",
)


class CleanCharField(forms.CharField):
    """A CharField that removes control and invisible direction characters first.

    Multiline unless told otherwise when its widget is a Textarea."""

    def __init__(self, *args: Any, multiline: bool | None = None, **kwargs: Any) -> None:
        self.multiline = multiline
        # Our own words, not Django's: Django has no catalogue for some of our languages (mt).
        kwargs["error_messages"] = {
            "required": REQUIRED,
            "min_length": TOO_SHORT,
            "max_length": TOO_LONG,
            **kwargs.get("error_messages", {}),
        }
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        """No maxlength on a text box: a browser cuts a longer paste without a word (a one-line
        field keeps it: short, and typed). The limit goes to static/js/counter.js, which shows a live count and says when the text is too long;
        without JavaScript the server says so (TOO_LONG) and gives the whole text back."""
        attrs = super().widget_attrs(widget)
        if not widget.is_hidden:
            attrs["dir"] = "auto"  # Arabic typed into an English page still reads right to left
        if isinstance(widget, forms.Textarea) and attrs.pop("maxlength", None) is not None:
            attrs["data-max-length"] = str(self.max_length)
            attrs["data-count-text"] = COUNT_TEXT
            attrs["data-over-text"] = OVER_TEXT
        return attrs

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return value
        multiline = self.multiline
        if multiline is None:
            multiline = isinstance(self.widget, forms.Textarea)
        return clean_text(value, multiline=multiline)
