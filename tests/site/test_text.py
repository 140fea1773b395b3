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


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man, woman, girl: one emoji
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


def test_it_keeps_the_joiners_of_an_emoji_sequence_and_a_persian_word():
    persian = "می\u200cخواهم"
    assert clean_text(f"{FAMILY} at home, {SCOTLAND}, {persian}") == (
        f"{FAMILY} at home, {SCOTLAND}, {persian}"
    )


def test_a_joiner_that_joins_nothing_and_tags_outside_a_flag_are_removed():
    assert clean_text("a\u200d\u200d\u200db \u200dc d\u200d") == "a\u200db c d"
    assert clean_text("hi\U000e0041\U000e0042 there") == "hi there"  # hidden "AB"
