"""Every string a public page shows is in every language's catalogue, translated, and the
catalogues compile with our own Python step (no GNU gettext needed)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# The back office stays in English; every other template is a public page or part of one.
PUBLIC_TEMPLATES = sorted(
    path for path in (ROOT / "templates").rglob("*.html") if "admin" not in path.parts
)
STRING = r"""u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*\""""
CALL = re.compile(rf"\b(gettext|ngettext|pgettext|npgettext)\(((?:\s*(?:{STRING})\s*,?)+)")


def template_msgids(path: Path) -> set[str]:
    """The msgids of a template, found the way makemessages finds them."""
    found = set()
    for function, arguments in CALL.findall(templatize(path.read_text(), origin=str(path))):
        strings = [ast.literal_eval(s) for s in re.findall(STRING, arguments)]
        if function.startswith("p"):
            strings = strings[1:]
        found.add(strings[0])
    return found


def catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "django.po"))


def test_the_public_templates_are_found():
    names = {path.name for path in PUBLIC_TEMPLATES}
    assert {"base.html", "gallery.html", "tip_form.html", "rate_limited.html", "500.html"} <= names
    assert "Send the tip" in template_msgids(ROOT / "templates/tips/tip_form.html")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_public_template_string_is_translated_in_every_catalogue(code):
    translated = {
        entry.msgid
        for entry in catalogue(code)
        if "fuzzy" not in entry.flags
        and (all(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr)
    }
    missing = {
        f"{path.relative_to(ROOT)}: {msgid!r}"
        for path in PUBLIC_TEMPLATES
        for msgid in template_msgids(path)
        if msgid not in translated
    }
    assert not missing, f"not translated in locale/{code} (run `make messages`):\n" + "\n".join(
        sorted(missing)
    )


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_catalogue_entry_is_translated_and_not_fuzzy(code):
    untranslated = [
        entry.msgid
        for entry in catalogue(code)
        if "fuzzy" in entry.flags
        or not (all(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr)
    ]
    assert not untranslated


def test_the_catalogues_compile_without_gnu_gettext():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "compilemessages")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for code in OTHER_LANGUAGES:
        assert (ROOT / "locale" / code / "LC_MESSAGES" / "django.mo").stat().st_size > 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, heading",
    [
        ("fr", "Reconnaissez-vous un objet\u202f?"),
        ("de", "Erkennen Sie ein Objekt?"),
        ("es", "¿Reconoces algún objeto?"),
        ("it", "Riconosci un oggetto?"),
        ("nl", "Herkent u een object?"),
        ("pl", "Czy rozpoznajesz jakiś obiekt?"),
        ("pt", "Reconhece algum objeto?"),
    ],
)
def test_the_gallery_speaks_each_language(client, code, heading):
    with override_settings(LANGUAGE_CODE="en"):
        html = client.get(f"/{code}/").content.decode()
    assert f"<h1>{heading}</h1>" in html
