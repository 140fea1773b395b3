"""Production serves static files through WhiteNoise from collectstatic's manifest."""

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_collectstatic_builds_a_manifest_the_layout_renders_from(client, settings, tmp_path):
    production_storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path / "static", STORAGES=production_storages):
        call_command("collectstatic", "--noinput", verbosity=0)
        html = client.get("/en/about/").content.decode()
    assert (tmp_path / "static" / "staticfiles.json").exists()
    # Hashed names let the web server cache them forever.
    assert "/static/bootstrap/css/bootstrap.min." in html and ".css" in html
    assert '/static/bootstrap/css/bootstrap.min.css"' not in html
