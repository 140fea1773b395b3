"""The one text cleaner, in traceobject/ so every app can use it."""

import ast
from pathlib import Path

from traceobject.text import clean_text

ROOT = Path(__file__).resolve().parents[2]
APPS = {"objects", "tips", "moderation"}


def test_it_removes_every_direction_control_and_other_format_characters():
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    # U+061C (Arabic letter mark) and U+2060 (word joiner) are format characters too.
    assert clean_text(f"{controls}a\u061cb\u2060c\x07") == "abc"


def test_it_keeps_newlines_and_tabs_only_in_multiline_text():
    assert clean_text("one\n\ttwo") == "one\n\ttwo"
    assert clean_text("one\n\ttwo", multiline=False) == "one  two"


def test_the_tips_app_uses_the_same_cleaner():
    from tips.text import clean_text as tips_clean_text

    assert tips_clean_text is clean_text


def test_the_cleaner_imports_no_app_so_any_app_may_import_it():
    tree = ast.parse((ROOT / "traceobject" / "text.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {name.split(".")[0] for name in imported} & APPS, imported
