"""The demo objects' translations: a data file keyed by the English title, loaded by seed_demo."""

import json

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from objects.demo import DEMO_OBJECTS, TRANSLATIONS_FILE, demo_translations

LANGUAGES = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}


def test_the_file_names_only_demo_objects_languages_of_the_site_and_known_fields():
    data = json.loads(TRANSLATIONS_FILE.read_text(encoding="utf-8"))
    assert set(data) <= {demo.title for demo in DEMO_OBJECTS}
    for texts in data.values():
        assert set(texts) <= LANGUAGES
        for entry in texts.values():
            assert set(entry) <= {"title", "question", "alt_text", "region_hint"}
            assert all(value.strip() for value in entry.values())


def test_a_demo_object_gets_its_french_and_german_texts_and_a_translated_region():
    mug = next(demo for demo in DEMO_OBJECTS if demo.title == "Teal shampoo bottle")
    texts = demo_translations(mug)
    assert texts["fr"]["title"] == "Flacon de shampoing bleu canard"
    assert texts["de"]["questions"].startswith("Von welcher Marke")
    for code in ("fr", "de"):
        with translation.override(code):
            region = gettext("Europe")
        assert texts[code].get("region_hint", "Europe") == region


@pytest.mark.django_db
def test_seeding_twice_brings_the_translations_of_existing_demo_objects_up_to_date(
    investigator, second_investigator
):
    from objects.demo import demo_objects_ensure
    from objects.models import TracedObject

    demo_objects_ensure(uploader=investigator, approver=second_investigator)
    TracedObject.objects.update(translations={})
    assert demo_objects_ensure(uploader=investigator, approver=second_investigator) == 0
    bottle = TracedObject.objects.get(title="Teal shampoo bottle")
    assert bottle.text_in("title", "fr") == "Flacon de shampoing bleu canard"
    assert bottle.text_in("title", "fr").lang == "fr"
