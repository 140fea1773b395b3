"""Cleaning what people type, visitors and staff alike: no control characters, no
bidirectional overrides. Here rather than in an app so every app may import it; it imports
no app itself."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

# Bidirectional embedding, override, isolate and mark characters can make text read
# differently from what it says ("Trojan Source", "exe.txt" shown for "txt.exe");
# zero-width and BOM characters hide content. Most are format characters (Cf), which are
# all removed below; they are listed too so the intent survives any change to that rule.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_KEEP = {"\n", "\t"}
# Control, format, surrogate, private-use and unassigned code points.
_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(value: str, *, multiline: bool = True) -> str:
    """`value` without invisible or control characters; newlines and tabs are kept only
    when `multiline` (a single line gets a space for each), and blank runs are shortened."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in value:
        if ch in _INVISIBLE:
            continue
        if ch in _KEEP and multiline:
            kept.append(ch)
        elif unicodedata.category(ch) in _REMOVED_CATEGORIES:
            kept.append(" " if ch in _KEEP else "")
        else:
            kept.append(ch)
    text = "".join(kept)
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


class CleanCharField(forms.CharField):
    """A CharField that removes control and invisible direction characters first.

    Multiline unless told otherwise when its widget is a Textarea."""

    def __init__(self, *args: Any, multiline: bool | None = None, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return value
        multiline = self.multiline
        if multiline is None:
            multiline = isinstance(self.widget, forms.Textarea)
        return clean_text(value, multiline=multiline)
