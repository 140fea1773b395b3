"""Tests for objects.imaging: every fixture is synthetic and built here with Pillow."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageEnhance, ImageFile, PngImagePlugin

from objects import imaging
from objects.imaging import ImageRejected, Limits, phash_distance, sanitise

GREY = (238, 238, 238)
RED = (220, 30, 30)
BLUE = (30, 60, 200)

# Marker strings hidden in fixture metadata; none may survive sanitising.
SERIAL = b"SERIAL-XYZ-123"
GPS_MARKER = b"GPS-DATUM-MARKER"
XMP_MARKER = b"XMP-MARKER-555"
COMMENT_MARKER = b"COMMENT-MARKER-888"
IPTC_MARKER = b"IPTC-MARKER-321"
THUMB_MARKER = b"THUMB-MARKER-777"
PNG_TEXT_MARKER = b"PNG-TEXT-MARKER"
ICC_MARKER = "ICC-MARKER-42"  # same length as "sRGB built-in", which it replaces
SCRIPT = b"<html><script>alert(1)</script></html>"
FORBIDDEN_IN_OUTPUT = (
    SERIAL,
    GPS_MARKER,
    XMP_MARKER,
    COMMENT_MARKER,
    IPTC_MARKER,
    THUMB_MARKER,
    PNG_TEXT_MARKER,
    ICC_MARKER.encode(),
    ICC_MARKER.encode("utf-16-be"),
    b"<script",
    b"Exif",
    b"http://ns.adobe.com/xap",
    b"ICC_PROFILE",
    b"Photoshop",
    b"8BIM",
)


# --- fixture builders -----------------------------------------------------------------------


def scene(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """A made-up 'object photo': a gradient with a few shapes, rich enough to hash."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 10, height // 8, width // 2, height // 2), fill=RED)
    draw.ellipse((width // 2, height // 3, width * 9 // 10, height * 9 // 10), fill=BLUE)
    draw.line((0, height - 1, width - 1, 0), fill=(250, 250, 0), width=max(2, width // 40))
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def secret_exif(orientation: int = 1) -> bytes:
    """EXIF with a camera serial number and a GPS position, as a phone would write it."""
    exif = Image.Exif()
    exif[0x010F] = "ACME Camera"  # Make
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0xA431] = SERIAL.decode()  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[0x01], gps[0x02] = "N", (52.0, 22.0, 11.0)
    gps[0x03], gps[0x04] = "E", (4.0, 53.0, 40.0)
    gps[0x12] = GPS_MARKER.decode()  # GPSMapDatum
    return exif.tobytes()


def with_exif_thumbnail(exif: bytes, thumbnail: bytes) -> bytes:
    """Chain an IFD1 holding an embedded JPEG thumbnail after IFD0, as cameras do."""
    prefix, tiff = exif[:6], bytearray(exif[6:])
    order = ">" if tiff[:2] == b"MM" else "<"
    ifd0 = struct.unpack(order + "I", tiff[4:8])[0]
    entries = struct.unpack(order + "H", tiff[ifd0 : ifd0 + 2])[0]
    next_pointer = ifd0 + 2 + 12 * entries
    tiff += b"\x00" * (len(tiff) % 2)
    ifd1 = len(tiff)
    thumb_at = ifd1 + 2 + 3 * 12 + 4
    struct.pack_into(order + "I", tiff, next_pointer, ifd1)
    tiff += struct.pack(order + "H", 3)
    tiff += struct.pack(order + "HHIHH", 0x0103, 3, 1, 6, 0)  # Compression: JPEG
    tiff += struct.pack(order + "HHII", 0x0201, 4, 1, thumb_at)  # JPEGInterchangeFormat
    tiff += struct.pack(order + "HHII", 0x0202, 4, 1, len(thumbnail))  # ...Length
    tiff += struct.pack(order + "I", 0) + thumbnail
    return prefix + bytes(tiff)


def iptc_segment() -> bytes:
    """A Photoshop APP13 segment with an IPTC caption, as news desks' tools write."""
    caption = IPTC_MARKER
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    iptc += b"\x00" * (len(iptc) % 2)
    payload = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def icc_profile(*, description: str | None = None, linear: bool = False) -> bytes:
    """An sRGB profile, optionally renamed, or with a linear tone curve so colours change."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    if description is not None:
        old = "sRGB built-in".encode("utf-16-be")
        new = description.encode("utf-16-be")
        assert len(new) == len(old)
        profile = bytearray(bytes(profile).replace(old, new))
    if linear:
        start = bytes(profile).index(b"para")
        # parametric curve type 0 (Y = X ** g) with g = 1.0, zero-padded to the old size.
        curve = b"para\x00\x00\x00\x00" + struct.pack(">HHi", 0, 0, 65536)
        profile[start : start + 32] = curve.ljust(32, b"\x00")
    return bytes(profile)


def xmp_packet() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="'
        + XMP_MARKER
        + b'"/></rdf:RDF></x:xmpmeta>'
    )


def jpeg_with_every_kind_of_metadata() -> bytes:
    thumbnail = encode(Image.new("RGB", (64, 48), RED), "JPEG", comment=THUMB_MARKER)
    return encode(
        scene(),
        "JPEG",
        exif=with_exif_thumbnail(secret_exif(), thumbnail),
        xmp=xmp_packet(),
        icc_profile=icc_profile(description=ICC_MARKER),
        comment=COMMENT_MARKER,
        extra=iptc_segment(),
    )


def png_with_every_kind_of_metadata() -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", PNG_TEXT_MARKER.decode())
    text.add_text("Author", PNG_TEXT_MARKER.decode(), zip=True)
    text.add_itxt("Description", PNG_TEXT_MARKER.decode(), lang="en")
    text.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    return encode(
        scene(),
        "PNG",
        pnginfo=text,
        exif=secret_exif(),
        icc_profile=icc_profile(description=ICC_MARKER),
    )


def webp_with_every_kind_of_metadata() -> bytes:
    return encode(
        scene(),
        "WEBP",
        exif=secret_exif(),
        xmp=xmp_packet(),
        icc_profile=icc_profile(description=ICC_MARKER),
    )


def jpeg_marker_codes(data: bytes) -> list[int]:
    """The segment markers of a JPEG up to the start of the scan."""
    codes, position = [], 2
    while True:
        assert data[position] == 0xFF, "malformed JPEG segment"
        code = data[position + 1]
        codes.append(code)
        if code == 0xDA:  # start of scan: no more headers
            return codes
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        position += 2 + length


def assert_no_metadata(jpeg: bytes) -> None:
    for marker in FORBIDDEN_IN_OUTPUT:
        assert marker not in jpeg, marker
    assert jpeg.startswith(b"\xff\xd8") and jpeg.endswith(b"\xff\xd9")
    # Only the JFIF header (APP0) may precede the image data: no APP1-15, no comment.
    codes = jpeg_marker_codes(jpeg)
    assert not [code for code in codes if 0xE1 <= code <= 0xEF or code == 0xFE]
    with Image.open(io.BytesIO(jpeg)) as reopened:
        assert reopened.format == "JPEG"
        assert reopened.mode == "RGB"
        assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(reopened.info)
        assert len(reopened.getexif()) == 0
        assert reopened.applist == [("APP0", reopened.applist[0][1])]


def assert_clean(result: imaging.SanitisedImage) -> None:
    assert_no_metadata(result.display)
    assert_no_metadata(result.thumbnail)


def pixel(jpeg: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(io.BytesIO(jpeg)) as image:
        return image.convert("RGB").getpixel(xy)


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def rejection(source: object, limits: Limits = imaging.DEFAULT_LIMITS) -> str:
    with pytest.raises(ImageRejected) as caught:
        sanitise(source, limits)  # type: ignore[arg-type]
    reason = str(caught.value)
    assert reason and "\n" not in reason
    return reason


# --- accepted uploads -----------------------------------------------------------------------


def test_it_makes_a_1600_display_and_a_480_thumbnail_from_a_3000x2000_jpeg(tmp_path: Path) -> None:
    path = write(tmp_path, "crop.jpg", encode(scene((3000, 2000)), "JPEG", quality=90))

    result = sanitise(path)

    assert result.display_size == (1600, 1067)
    assert result.thumbnail_size == (480, 320)
    with Image.open(io.BytesIO(result.display)) as display:
        assert (display.format, display.size) == ("JPEG", (1600, 1067))
    with Image.open(io.BytesIO(result.thumbnail)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (480, 320))


def test_it_limits_the_long_side_of_a_portrait_image() -> None:
    result = sanitise(io.BytesIO(encode(scene((1000, 2000)), "PNG")))

    assert result.display_size == (800, 1600)
    assert result.thumbnail_size == (240, 480)


def test_it_never_upscales_a_small_image() -> None:
    result = sanitise(io.BytesIO(encode(scene((200, 150)), "JPEG")))

    assert result.display_size == (200, 150)
    assert result.thumbnail_size == (200, 150)


def test_it_recognises_a_png_by_content_even_when_named_jpg(tmp_path: Path) -> None:
    path = write(tmp_path, "holiday.jpg", encode(scene(), "PNG"))

    assert sanitise(path).display_size == (400, 300)


def test_it_accepts_a_webp() -> None:
    result = sanitise(io.BytesIO(encode(scene(), "WEBP", quality=90)))

    assert result.display_size == (400, 300)
    assert_clean(result)


@pytest.mark.parametrize("kind", ["str", "pathlike", "file object"])
def test_it_reads_from_a_path_a_pathlike_or_a_file_object(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, "crop.jpg", encode(scene(), "JPEG"))
    if kind == "file object":
        with path.open("rb") as stream:
            result = sanitise(stream)
    else:
        result = sanitise(str(path) if kind == "str" else path)

    assert result.display_size == (400, 300)


def test_it_reads_a_stream_from_its_start_even_if_someone_already_read_it() -> None:
    stream = io.BytesIO(encode(scene(), "JPEG"))
    stream.read()

    assert sanitise(stream).display_size == (400, 300)


class UnseekableStream(io.RawIOBase):
    """Like a socket or pipe: bytes can be read once, in order, and nothing else."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_it_reads_an_unseekable_stream() -> None:
    stream = io.BufferedReader(UnseekableStream(encode(scene(), "JPEG")))

    assert sanitise(stream).display_size == (400, 300)


def test_it_always_produces_rgb_even_from_a_greyscale_image() -> None:
    result = sanitise(io.BytesIO(encode(scene().convert("L"), "JPEG")))

    with Image.open(io.BytesIO(result.display)) as display:
        assert display.mode == "RGB"


# --- rejected formats -----------------------------------------------------------------------

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "data", "looks_like"),
    [
        ("logo.jpg", SVG, "SVG"),
        ("page.jpg", b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>", "HTML"),
        ("flyer.jpg", encode(scene(), "GIF"), "GIF"),
        ("scan.jpg", encode(scene(), "TIFF"), "TIFF"),
        ("paint.jpg", encode(scene(), "BMP"), "BMP"),
        ("doc.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ],
)
def test_it_rejects_other_formats_whatever_their_name(
    tmp_path: Path, name: str, data: bytes, looks_like: str
) -> None:
    reason = rejection(write(tmp_path, name, data))

    assert reason == f"not a JPEG, PNG or WebP image (looks like {looks_like})"


def test_it_rejects_random_bytes_named_jpg(tmp_path: Path) -> None:
    noise = random.Random(42).randbytes(4096)

    assert rejection(write(tmp_path, "photo.jpg", noise)) == "not a JPEG, PNG or WebP image"


def test_it_rejects_an_animated_gif_as_a_gif() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in (RED, BLUE)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    assert rejection(io.BytesIO(gif)) == "not a JPEG, PNG or WebP image (looks like GIF)"


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    assert rejection(write(tmp_path, "empty.jpg", b"")) == "file is empty"


# --- size and pixel limits ------------------------------------------------------------------


def test_it_rejects_a_file_over_the_size_limit() -> None:
    data = encode(scene(), "PNG")

    reason = rejection(io.BytesIO(data), Limits(max_bytes=1000))

    assert reason == f"file is {len(data) / 1024:.1f} KB; the limit is 1000 bytes"


class HugeStream(io.RawIOBase):
    """Claims to be 31.2 MB; fails the test if anyone reads it."""

    size = int(31.2 * 1024 * 1024)

    def __init__(self) -> None:
        self.position = 0

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = origin + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        raise AssertionError("the size limit must be checked before reading")


def test_it_checks_the_size_limit_before_reading_the_file() -> None:
    assert rejection(HugeStream()) == "file is 31.2 MB; the limit is 25 MB"


def test_it_rejects_an_oversize_unseekable_stream() -> None:
    stream = io.BufferedReader(UnseekableStream(encode(scene(), "PNG")))

    assert rejection(stream, Limits(max_bytes=1000)) == "file is larger than the 1000 bytes limit"


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid single-colour 1-bit PNG: a few KB on disk, hundreds of megapixels decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_it_rejects_a_decompression_bomb_from_its_header_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = bomb_png()
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))

    reason = rejection(io.BytesIO(bomb))

    assert len(bomb) < 100_000
    assert reason == "image is 20000×20000 pixels (400 megapixels); the limit is 50 megapixels"
    assert decoded == []


def test_it_applies_a_configured_pixel_limit() -> None:
    reason = rejection(io.BytesIO(encode(scene((400, 300)), "JPEG")), Limits(max_pixels=100_000))

    assert reason == "image is 400×300 pixels (0.1 megapixels); the limit is 0.1 megapixels"


def test_it_turns_pillows_own_bomb_error_into_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    # The WebP decoder runs Pillow's global check itself; make that check trip.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)

    assert rejection(io.BytesIO(encode(scene(), "WEBP"))) == "image is too large to decode safely"


def test_it_turns_pillows_bomb_warning_into_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    original_load = ImageFile.ImageFile.load

    def load_with_warning(self: ImageFile.ImageFile) -> object:
        warnings.warn("decompression bomb", Image.DecompressionBombWarning, stacklevel=2)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load_with_warning)

    assert rejection(io.BytesIO(encode(scene(), "PNG"))) == "image is too large to decode safely"


def test_it_leaves_pillows_global_settings_as_it_found_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    pixel_limit_before = Image.MAX_IMAGE_PIXELS
    filters = list(warnings.filters)

    sanitise(io.BytesIO(encode(scene(), "JPEG")))

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    assert pixel_limit_before == Image.MAX_IMAGE_PIXELS
    assert warnings.filters == filters


def test_it_rejects_an_image_whose_short_side_is_too_small() -> None:
    reason = rejection(io.BytesIO(encode(Image.new("RGB", (40, 300), RED), "PNG")))

    assert reason == "image is 40×300 pixels; the short side must be at least 64 pixels"


# --- animation and corruption ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_it_rejects_animated_pngs_and_webps(fmt: str) -> None:
    frames = [scene(), Image.new("RGB", (400, 300), BLUE)]
    animated = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)

    assert rejection(io.BytesIO(animated)) == "animated images are not accepted"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_rejects_a_truncated_file(fmt: str) -> None:
    data = encode(scene((800, 600)), fmt)

    assert rejection(io.BytesIO(data[: len(data) // 2])) == "file is truncated or corrupt"


def test_it_rejects_a_truncated_jpeg_even_if_pillow_is_set_to_allow_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(scene((800, 600)), "JPEG")

    assert rejection(io.BytesIO(data[: len(data) // 2])) == "file is truncated or corrupt"


def test_it_rejects_a_png_with_damaged_image_data() -> None:
    data = bytearray(encode(scene(), "PNG"))
    start = data.index(b"IDAT") + 20
    data[start : start + 16] = b"\x00" * 16

    assert rejection(io.BytesIO(bytes(data))) == "file is truncated or corrupt"


def test_it_rejects_garbage_behind_a_jpeg_signature() -> None:
    garbage = b"\xff\xd8\xff" + random.Random(7).randbytes(2000)

    assert rejection(io.BytesIO(garbage)) == "file is truncated or corrupt"


# --- orientation ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_turns_an_image_tagged_with_orientation_6_upright(fmt: str) -> None:
    # Stored 200 wide and 100 high with a red block in the top-left corner. Orientation 6
    # means "rotate 90° clockwise to display", so the block must end up top-right.
    stored = Image.new("RGB", (200, 100), BLUE)
    stored.paste(RED, (0, 0, 50, 50))
    tagged = encode(stored, fmt, exif=secret_exif(orientation=6), quality=95)

    result = sanitise(io.BytesIO(tagged))

    assert result.display_size == (100, 200)
    assert near(pixel(result.display, (90, 10)), RED)
    assert near(pixel(result.display, (10, 10)), BLUE)
    assert near(pixel(result.display, (90, 190)), BLUE)
    assert_clean(result)


# --- colour ---------------------------------------------------------------------------------


def test_it_converts_a_cmyk_jpeg_to_rgb() -> None:
    cmyk = Image.new("CMYK", (100, 100), (0, 255, 255, 0))  # full magenta + yellow: red

    result = sanitise(io.BytesIO(encode(cmyk, "JPEG", quality=95)))

    assert near(pixel(result.display, (50, 50)), (255, 0, 0), tolerance=16)


def test_it_scales_a_16_bit_png_down_instead_of_clipping_it_to_white() -> None:
    deep = Image.new("I;16", (100, 100), 32768)  # half of 65535
    data = encode(deep, "PNG")
    with Image.open(io.BytesIO(data)) as reopened:
        assert reopened.mode == "I;16"

    result = sanitise(io.BytesIO(data))

    assert near(pixel(result.display, (50, 50)), (128, 128, 128), tolerance=3)


def test_it_flattens_transparency_in_an_rgba_png_onto_neutral_grey() -> None:
    rgba = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    rgba.paste((*RED, 255), (100, 0, 200, 100))

    result = sanitise(io.BytesIO(encode(rgba, "PNG")))

    assert near(pixel(result.display, (40, 50)), GREY, tolerance=4)
    assert near(pixel(result.display, (160, 50)), RED)


def test_it_flattens_a_greyscale_png_with_alpha_onto_neutral_grey() -> None:
    la = Image.new("LA", (200, 100), (0, 0))
    la.paste((30, 255), (100, 0, 200, 100))

    result = sanitise(io.BytesIO(encode(la, "PNG")))

    assert near(pixel(result.display, (40, 50)), GREY, tolerance=4)
    assert near(pixel(result.display, (160, 50)), (30, 30, 30))


@pytest.mark.parametrize("transparent", [True, False])
def test_it_expands_a_palette_png(transparent: bool) -> None:
    palette = Image.new("P", (200, 100), 0)
    palette.putpalette([0, 0, 0, *RED, *BLUE])
    palette.paste(1, (100, 0, 200, 100))
    options = {"transparency": 0} if transparent else {}

    result = sanitise(io.BytesIO(encode(palette, "PNG", **options)))

    assert near(pixel(result.display, (40, 50)), GREY if transparent else (0, 0, 0), tolerance=4)
    assert near(pixel(result.display, (160, 50)), RED)


def test_it_treats_a_png_colour_key_as_transparency() -> None:
    keyed = Image.new("RGB", (200, 100), (0, 0, 0))
    keyed.paste(RED, (100, 0, 200, 100))

    result = sanitise(io.BytesIO(encode(keyed, "PNG", transparency=(0, 0, 0))))

    assert near(pixel(result.display, (40, 50)), GREY, tolerance=4)
    assert near(pixel(result.display, (160, 50)), RED)


def test_it_converts_colours_from_the_embedded_icc_profile_to_srgb() -> None:
    # Under a linear tone curve, 128 means 50% light, which sRGB writes as about 188.
    grey = Image.new("RGB", (100, 100), (128, 128, 128))
    tagged = encode(grey, "PNG", icc_profile=icc_profile(linear=True))

    result = sanitise(io.BytesIO(tagged))

    assert near(pixel(result.display, (50, 50)), (188, 188, 188), tolerance=4)
    assert_clean(result)


@pytest.mark.parametrize(
    "profile",
    [
        b"this is not an ICC profile",
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # wrong colour space
    ],
    ids=["broken", "lab-on-rgb"],
)
def test_it_falls_back_to_a_plain_conversion_when_the_icc_profile_is_unusable(
    profile: bytes,
) -> None:
    tagged = encode(Image.new("RGB", (100, 100), RED), "JPEG", icc_profile=profile, quality=95)

    result = sanitise(io.BytesIO(tagged))

    assert near(pixel(result.display, (50, 50)), RED)
    assert_clean(result)


# --- metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        jpeg_with_every_kind_of_metadata,
        png_with_every_kind_of_metadata,
        webp_with_every_kind_of_metadata,
    ],
    ids=["jpeg", "png", "webp"],
)
def test_it_drops_every_kind_of_metadata(build: object) -> None:
    upload = build()  # type: ignore[operator]
    # Make sure the fixture really carries what we claim to strip (PNG compresses the
    # profile, so look for its description through Pillow).
    for marker in (SERIAL, GPS_MARKER, XMP_MARKER):
        assert marker in upload
    with Image.open(io.BytesIO(upload)) as image:
        assert ICC_MARKER.encode("utf-16-be") in image.info["icc_profile"]

    assert_clean(sanitise(io.BytesIO(upload)))


def test_the_jpeg_fixture_carries_a_comment_an_iptc_caption_and_an_exif_thumbnail() -> None:
    upload = jpeg_with_every_kind_of_metadata()
    with Image.open(io.BytesIO(upload)) as image:
        assert image.info["comment"] == COMMENT_MARKER
        thumbnail_ifd = image.getexif().get_ifd(ExifTags.IFD.IFD1)
        assert 0x0201 in thumbnail_ifd
    assert IPTC_MARKER in upload and THUMB_MARKER in upload


def test_it_accepts_a_jpeg_with_html_appended_but_drops_the_html() -> None:
    polyglot = encode(scene(), "JPEG") + SCRIPT

    result = sanitise(io.BytesIO(polyglot))

    assert result.display_size == (400, 300)
    assert_clean(result)


# --- perceptual hash ------------------------------------------------------------------------


def phash_of(image: Image.Image, fmt: str = "PNG", **options: object) -> str:
    return sanitise(io.BytesIO(encode(image, fmt, **options))).phash


def test_the_phash_is_16_hex_digits() -> None:
    digest = phash_of(scene())

    assert len(digest) == 16
    int(digest, 16)


@pytest.mark.parametrize(
    "variant",
    [
        lambda image: (image.resize((200, 150), Image.Resampling.BILINEAR), "PNG", {}),
        lambda image: (image.resize((1200, 900), Image.Resampling.BICUBIC), "PNG", {}),
        lambda image: (image, "JPEG", {"quality": 40}),
        lambda image: (image, "WEBP", {"quality": 50}),
        lambda image: (ImageEnhance.Brightness(image).enhance(1.1), "JPEG", {}),
    ],
    ids=["smaller", "larger", "low-quality-jpeg", "webp", "brighter"],
)
def test_the_phash_of_a_resized_reencoded_or_brightened_copy_stays_close(variant: object) -> None:
    original = scene((800, 600))
    image, fmt, options = variant(original)  # type: ignore[operator]

    assert phash_distance(phash_of(original), phash_of(image, fmt, **options)) <= 6


def stripes() -> Image.Image:
    image = Image.new("L", (256, 256), 0)
    draw = ImageDraw.Draw(image)
    for x in range(0, 256, 64):
        draw.rectangle((x, 0, x + 31, 255), fill=255)
    return image


def checkerboard() -> Image.Image:
    image = Image.new("L", (256, 256), 0)
    draw = ImageDraw.Draw(image)
    for y in range(0, 256, 64):
        for x in range(0, 256, 64):
            if (x + y) // 64 % 2 == 0:
                draw.rectangle((x, y, x + 63, y + 63), fill=255)
    return image


def circle() -> Image.Image:
    image = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(image).ellipse((48, 48, 208, 208), fill=255)
    return image


@pytest.mark.parametrize(
    ("first", "second"),
    [(stripes, checkerboard), (stripes, circle), (checkerboard, circle), (scene, circle)],
)
def test_the_phash_of_clearly_different_images_is_far_apart(first: object, second: object) -> None:
    distance = phash_distance(phash_of(first()), phash_of(second()))  # type: ignore[operator]

    assert distance >= 20


def test_phash_distance_counts_differing_bits() -> None:
    assert phash_distance("0" * 16, "0" * 16) == 0
    assert phash_distance("0" * 16, "f" * 16) == 64
    assert phash_distance("8000000000000001", "0000000000000000") == 2


@pytest.mark.parametrize("bad", ["", "abc", "z" * 16, "0" * 17, "-" + "0" * 15, "0_" * 8])
def test_phash_distance_refuses_something_that_is_not_a_hash(bad: str) -> None:
    with pytest.raises(ValueError):
        phash_distance(bad, "0" * 16)


# --- memory ---------------------------------------------------------------------------------

# Runs in a fresh interpreter so the peak resident size belongs to this one upload only.
# Pillow allocates pixels outside Python's allocator, so tracemalloc cannot see them. And
# getrusage's ru_maxrss cannot be used either: Linux carries it over from the forked pytest
# process, whose own peak hides the child's. VmHWM is the high-water mark of this process's
# memory alone.
MEMORY_PROBE = """
import sys
from objects.imaging import sanitise

def peak_kib():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])

baseline = peak_kib()
sanitise(sys.argv[1])
print(baseline, peak_kib())
"""


def photo_24_megapixels() -> Image.Image:
    """A 6000×4000 picture with some structure, cheap to build and to compress."""
    size = (6000, 4000)
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    pattern = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (horizontal, vertical, pattern))


@pytest.mark.skipif(sys.platform != "linux", reason="reads the peak from /proc/self/status")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_24_megapixel_upload_needs_less_than_three_times_its_decoded_size(
    tmp_path: Path, fmt: str
) -> None:
    options = {"compress_level": 1} if fmt == "PNG" else {"quality": 90}
    path = write(tmp_path, "big", encode(photo_24_megapixels(), fmt, **options))
    project_root = Path(imaging.__file__).resolve().parents[1]

    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    baseline_kib, peak_kib = map(int, probe.stdout.split())
    used = (peak_kib - baseline_kib) * 1024
    decoded = 6000 * 4000 * 3
    print(f"{fmt}: peak {used / 2**20:.1f} MiB over baseline, decoded {decoded / 2**20:.1f} MiB")
    assert used < 3 * decoded


def test_a_webp_may_have_under_a_quarter_of_the_pixels_and_is_told_how_small_to_be() -> None:
    """Pillow's WebP decoder holds about four copies of the image (bench/intake.py), so a
    WebP is charged 17 bytes a pixel against the budget: the picture a JPEG may be is refused
    as WebP, before a pixel is decoded, with what to do about it."""
    limits = Limits(max_pixels=1_000_000)  # a decoding budget of 4,000,000 bytes
    picture = scene((800, 600))
    assert sanitise(io.BytesIO(encode(picture, "JPEG")), limits).display_size == (800, 600)

    reason = rejection(io.BytesIO(encode(picture, "WEBP")), limits)

    assert reason == (
        "image is 800×600 pixels in WebP: decoding WebP needs 7.8 MB of memory, the limit is "
        "3.8 MB; save it as JPEG or PNG or make it at most 0.2 megapixels"
    )
    # At most 4,000,000 // 17 = 235,294 pixels: 480×480 (230,400) fits.
    assert sanitise(io.BytesIO(encode(scene((480, 480)), "WEBP")), limits).display_size == (
        480,
        480,
    )
