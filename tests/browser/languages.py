"""Which languages the browser tests visit: a representative set in CI, all 28 on request.

The set: English, Arabic (right to left), German and Finnish (long words), Irish and Greek
(other scripts and long phrases), and the language whose catalogue is longest (the widest
text). ALL_LANGUAGES=1 (as `make screenshots` sets) visits every language.
"""

from __future__ import annotations

import os
from pathlib import Path

import polib
from django.conf import settings

ALL = [code for code, _name in settings.LANGUAGES]
REPRESENTATIVE = ("en", "ar", "de", "fi", "ga", "el")


def widest_language() -> str:
    """The language whose translations are longest in all, among those with a catalogue."""
    lengths = {}
    for po_path in Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po"):
        code = po_path.parent.parent.name
        if code in ALL:
            lengths[code] = sum(len(entry.msgstr) for entry in polib.pofile(str(po_path)))
    return max(lengths, key=lengths.__getitem__) if lengths else "de"


def browser_languages() -> list[str]:
    if os.environ.get("ALL_LANGUAGES"):
        return ALL
    chosen = [*REPRESENTATIVE, widest_language()]
    return [code for code in ALL if code in chosen]
