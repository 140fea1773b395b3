"""Posters in Chromium: the page as a visitor sees it, and `manage.py object_posters`
printing it to PDF, one A4 (or A3) page whose QR code opens the object's page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from django.core.management import call_command
from PIL import Image
from pypdf import PdfReader

from tests.browser.conftest import SCREENSHOTS, axe_violations, screenshot
from tests.factories import published_object

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595.28, 841.89)
A3_POINTS = (841.89, 1190.55)


@pytest.fixture
def shown_object(case, investigator, second_investigator):
    return published_object(
        case,
        investigator,
        second_investigator,
        seed=2,
        title="Striped wallpaper",
        questions="Where is this wallpaper sold? Have you seen it in a hotel or a flat?",
        region_hint="Europe",
    )


def test_the_poster_page_passes_axe_at_both_widths(page, shown_object):
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/en/objects/{shown_object.code}/poster/")
        assert axe_violations(page, impacts=None) == []
        screenshot(page, f"reach-poster-page-{width}")
    assert page.outside_requests == []


def _pdf_to_png(pdf: Path, dpi: int = 110) -> Path:
    stem = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)], check=True
    )
    return stem.with_suffix(".png")


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")
def test_object_posters_prints_one_a4_page_per_language_whose_qr_opens_the_object(
    shown_object, tmp_path, poster_host
):
    call_command("object_posters", shown_object.code, "--out", str(tmp_path))

    languages = [code for code, _name in settings.LANGUAGES]
    for language in languages:
        pdf = tmp_path / f"{shown_object.code}-{language}.pdf"
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1, language
        box = reader.pages[0].mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=1), language
        (code,) = zxingcpp.read_barcodes(Image.open(_pdf_to_png(pdf)))
        assert code.format == zxingcpp.BarcodeFormat.QRCode
        assert code.text == f"https://tips.test/{language}/objects/{shown_object.code}/"
        text = reader.pages[0].extract_text()
        assert f"tips.test/{language}/objects/{shown_object.code}" in text
        assert "116 000" in text
    french = tmp_path / f"{shown_object.code}-fr.pdf"
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(_pdf_to_png(french), SCREENSHOTS / "reach-poster-fr-a4.png")
    assert "Reconnaissez-vous cet objet" in PdfReader(french).pages[0].extract_text()


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")
def test_the_a3_poster_is_one_a3_page(shown_object, tmp_path, poster_host):
    call_command(
        "object_posters", shown_object.code, "--lang", "de", "--size", "a3", "--out", str(tmp_path)
    )

    reader = PdfReader(tmp_path / f"{shown_object.code}-de-a3.pdf")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A3_POINTS, abs=1)
    (code,) = zxingcpp.read_barcodes(
        Image.open(_pdf_to_png(tmp_path / f"{shown_object.code}-de-a3.pdf", 60))
    )
    assert code.text == f"https://tips.test/de/objects/{shown_object.code}/"
