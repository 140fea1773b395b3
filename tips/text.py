"""Cleaning what visitors type: no control characters, no bidirectional overrides."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embedding, override and isolate controls can make text read differently
# from what it says ("Trojan Source"); zero-width and BOM characters hide content.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_KEEP = {"\n", "\t"}


def clean_text(value: str, *, multiline: bool = True) -> str:
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in value:
        if ch in _INVISIBLE:
            continue
        if ch in _KEEP and multiline:
            kept.append(ch)
        elif unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}:
            kept.append(" " if ch in _KEEP else "")
        else:
            kept.append(ch)
    text = "".join(kept)
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
