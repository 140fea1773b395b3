"""manage.py import_objects: every good file imported with no metadata left, every hostile
one refused with a one-line reason while the rest go through."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from objects.models import Case, Category, ObjectState, TracedObject
from tests.factories import synthetic_png

pytestmark = pytest.mark.django_db

MARKERS = [b"SERIAL-4242-XYZ", b"GPS-MARKER", b"<script", b"Exif"]


def jpeg_with_gps_and_serial() -> bytes:
    image = Image.open(io.BytesIO(synthetic_png(seed=1))).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "GPS-MARKER camera maker"
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-4242-XYZ"  # BodySerialNumber
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef
    exif.get_ifd(0x8825)[2] = (52.0, 22.0, 1.5)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"GPS-MARKER comment")
    return buffer.getvalue() + b"<script>alert('appended')</script>"


def png_bomb() -> bytes:
    """A 30000 x 30000 PNG of zeros: a few kilobytes on disk, 2.7 GB once decoded."""
    width = height = 30000
    raw_row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(raw_row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def webp() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(synthetic_png(seed=2))).save(buffer, "WEBP")
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (100, 100), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


GOOD = {
    "bottle.jpg": jpeg_with_gps_and_serial,
    "wallpaper.png": lambda: synthetic_png(seed=0),
    "shirt.webp": webp,
}
HOSTILE = {
    "logo.jpg": lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "page.jpg": lambda: b"<!doctype html><html><script>alert(1)</script></html>",
    "random.jpg": lambda: bytes(range(256)) * 40,
    "truncated.jpg": lambda: jpeg_with_gps_and_serial()[:3000],
    "bomb.png": png_bomb,
    "animated.gif": animated_gif,
    "empty.jpg": lambda: b"",
    "tiny.png": lambda: synthetic_png(40, 300),
}


@pytest.fixture
def mixed_folder(tmp_path):
    folder = tmp_path / "crops"
    folder.mkdir()
    for name, make in {**GOOD, **HOSTILE}.items():
        (folder / name).write_bytes(make())
    return folder


def run_import(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_objects", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def stored_bytes(media_root: Path) -> list[bytes]:
    return [p.read_bytes() for p in Path(media_root).rglob("*") if p.is_file()]


def test_a_mixed_folder_imports_the_good_files_and_refuses_the_hostile_ones(
    mixed_folder, investigator, media_root, settings
):
    code, out, err = run_import(str(mixed_folder), "--case", "CASE-NEW-1", "--owner", "ines")
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    assert sorted(line.split(":")[0].removeprefix("FAILED ") for line in failed) == sorted(HOSTILE)
    for line in failed:
        assert len(line.split(": ", 1)[1]) > 5  # a reason, on one line
    assert "looks like SVG" in next(line for line in failed if "logo.jpg" in line)
    assert "megapixels" in next(line for line in failed if "bomb.png" in line)
    assert "Imported 3 of 11 files; 8 failed." in out
    assert "Importing" in err and "11/11" in err  # the progress bar

    imported = TracedObject.objects.filter(state=ObjectState.AWAITING_APPROVAL)
    assert sorted(imported.values_list("title", flat=True)) == ["bottle", "shirt", "wallpaper"]
    case = Case.objects.get(reference="CASE-NEW-1")
    assert list(case.owners.values_list("username", flat=True)) == ["ines"]
    # Six files: a display image and a thumbnail per good crop, private until published, and
    # nothing else anywhere.
    assert stored_bytes(media_root) == []
    stored = stored_bytes(settings.PRIVATE_MEDIA_ROOT)
    assert len(stored) == 6
    for data in stored:
        for marker in MARKERS:
            assert marker not in data
    assert list(Path(settings.INTAKE_ROOT).iterdir()) == []


def test_a_folder_of_good_files_exits_0(tmp_path, investigator):
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "a.png").write_bytes(synthetic_png(seed=4))
    code, out, _ = run_import(str(folder), "--case", "C-1", "--owner", "ines")
    assert code == 0
    assert "Imported 1 of 1 files; 0 failed." in out


def test_a_manifest_sets_every_field_and_defaults_missing_titles(tmp_path, investigator):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "mug.png").write_bytes(synthetic_png(seed=5))
    (tmp_path / "img" / "rug.png").write_bytes(synthetic_png(seed=6))
    (tmp_path / "manifest.csv").write_text(
        "file,title,category,questions,region_hint,alt_text,case\n"
        "img/mug.png,White mug,Other,Where is this mug sold?,Europe,A white mug,CASE-A\n"
        "img/rug.png,,textile,Who makes this rug?,,A red rug,CASE-B\n"
        "img/missing.png,Missing,toy,?,,x,CASE-A\n"
        "img/mug.png,Bad category,spaceship,?,,x,CASE-A\n",
        encoding="utf-8",
    )
    code, out, _ = run_import(str(tmp_path / "manifest.csv"), "--owner", "ines")
    assert code == 1
    assert "FAILED img/missing.png: file not found" in out
    assert "FAILED img/mug.png: unknown category 'spaceship'" in out
    mug = TracedObject.objects.get(title="White mug")
    assert (mug.category, mug.questions, mug.region_hint, mug.alt_text, mug.case.reference) == (
        Category.OTHER,
        "Where is this mug sold?",
        "Europe",
        "A white mug",
        "CASE-A",
    )
    rug = TracedObject.objects.get(case__reference="CASE-B")
    assert rug.title == "rug" and rug.category == Category.TEXTILE


def test_it_refuses_to_add_to_a_case_the_owner_does_not_own(
    tmp_path, investigator, outsider_investigator
):
    from objects.services import case_ensure

    case_ensure(reference="CASE-INES", owner=investigator)
    (tmp_path / "a.png").write_bytes(synthetic_png())
    code, out, _ = run_import(str(tmp_path), "--case", "CASE-INES", "--owner", "olga")
    assert code == 1
    assert "FAILED a.png: olga is not an owner of case CASE-INES" in out
    assert not TracedObject.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["{folder}", "--case", "C"], "--owner is required"),
        (["{folder}", "--case", "C", "--owner", "nobody"], "no staff account named 'nobody'"),
        (["{folder}", "--owner", "ines"], "--case is required"),
        (["{folder}/nothing-here", "--owner", "ines"], "neither a folder nor a .csv manifest"),
    ],
)
def test_it_explains_bad_arguments(tmp_path, investigator, args, message):
    (tmp_path / "a.png").write_bytes(synthetic_png())
    with pytest.raises(CommandError, match=message):
        call_command("import_objects", *[a.format(folder=tmp_path) for a in args])


def test_a_file_name_with_a_direction_override_is_printed_and_stored_clean(tmp_path, investigator):
    # "\u202e" makes "\u202egnp.exe" display as "exe.png" in a terminal.
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "\u202egnp.exe").write_bytes(b"MZ\x90\x00 not an image")
    (folder / "\u202ebottle.png").write_bytes(synthetic_png(seed=7))

    code, out, _ = run_import(str(folder), "--case", "C-1", "--owner", "ines")

    assert code == 1
    assert "FAILED gnp.exe: not a JPEG, PNG or WebP image" in out
    assert "\u202e" not in out
    assert TracedObject.objects.get(state=ObjectState.AWAITING_APPROVAL).title == "bottle"


def test_manifest_values_are_stored_without_direction_overrides(tmp_path, investigator):
    (tmp_path / "mug.png").write_bytes(synthetic_png(seed=8))
    (tmp_path / "manifest.csv").write_text(
        "file,title,category,questions,region_hint,alt_text,case\n"
        'mug.png,\u202eabc,other,"Who sells it?\n\u2066Where?",Europe\u200f,\u202aA mug,'
        "\u202eCASE-Z\n"
        "\u202egnp.exe,x,other,?,,x,CASE-Z\n",
        encoding="utf-8",
    )

    code, out, _ = run_import(str(tmp_path / "manifest.csv"), "--owner", "ines")

    assert "FAILED gnp.exe: file not found" in out and "\u202e" not in out
    mug = TracedObject.objects.get()
    assert (mug.title, mug.questions, mug.region_hint, mug.alt_text, mug.case.reference) == (
        "abc",
        "Who sells it?\nWhere?",
        "Europe",
        "A mug",
        "CASE-Z",
    )


def test_a_manifest_may_give_each_text_in_other_languages(tmp_path, investigator):
    (tmp_path / "mug.png").write_bytes(synthetic_png(seed=5))
    (tmp_path / "manifest.csv").write_text(
        "file,title,category,questions,region_hint,alt_text,case,title_fr,questions_fr,alt_text_de,title_xx\n"
        "mug.png,White mug,other,Where is it sold?,Europe,A white mug,CASE-A,"
        "Tasse blanche,Où est-elle vendue ?,Ein weißer Becher,ignored\n",
        encoding="utf-8",
    )
    code, _out, _ = run_import(str(tmp_path / "manifest.csv"), "--owner", "ines")
    assert code == 0
    mug = TracedObject.objects.get()
    assert mug.translations == {
        "fr": {"title": "Tasse blanche", "questions": "Où est-elle vendue ?"},
        "de": {"alt_text": "Ein weißer Becher"},
    }
