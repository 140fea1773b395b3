"""Validate an uploaded object crop and re-encode it into clean, publishable JPEGs: the
format recognised by content, every cheap limit checked before a pixel is decoded, only new
JPEGs built from pixels published. Imports no Django (docs/architecture.md, "Object images")."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import statistics
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from PIL import (
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

__all__ = ["ImageRejected", "Limits", "SanitisedImage", "phash_distance", "sanitise"]


class ImageRejected(Exception):
    """A crop that cannot be published; str(exc) is a one-line reason a person can act on."""


# What one pixel of an 8-bit RGB image costs decoded: the reference for the memory budget.
_REFERENCE_BYTES_PER_PIXEL = 4


@dataclass(frozen=True)
class Limits:
    # 25 MB is far above any sensible crop, yet small enough to keep in memory while we work.
    max_bytes: int = 25 * 1024 * 1024
    # 50 megapixels holds any real camera frame; anything bigger is a mistake or an attack.
    max_pixels: int = 50_000_000
    # Below 64 pixels nobody can recognise an object, so publishing it only wastes tips.
    min_side: int = 64
    display_long_side: int = 1600
    thumb_long_side: int = 480

    @property
    def decode_budget(self) -> int:
        """Bytes our decoding may hold: the 8-bit RGB image at the pixel cap. Deeper images
        get fewer pixels, so a tiny 16-bit PNG cannot make the worker hold ten bytes for
        each of 50 million pixels."""
        return self.max_pixels * _REFERENCE_BYTES_PER_PIXEL


@dataclass(frozen=True)
class SanitisedImage:
    display: bytes  # JPEG bytes, sRGB, no metadata
    thumbnail: bytes  # JPEG bytes, sRGB, no metadata
    display_size: tuple[int, int]
    thumbnail_size: tuple[int, int]
    phash: str  # 16 hex chars (64-bit perceptual DCT hash)


DEFAULT_LIMITS = Limits()

# A neutral light grey: transparent areas become a quiet background rather than black, which
# would hide dark objects, or white, which would blend into the page.
BACKGROUND_GREY = 238
JPEG_QUALITY = 85

# The plugin class to use for each format we accept. We instantiate it directly, rather than
# through Image.open, because the format is already known from the magic bytes (no guessing
# among Pillow's ~40 decoders) and because Image.open runs Pillow's own global bomb check
# before we could report the real dimensions against our configurable limit.
_DECODERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}

# Signatures of formats we refuse, only so the rejection can say what the file looked like.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"8BPS", "Photoshop PSD"),
)


def sanitise(
    source: BinaryIO | str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS
) -> SanitisedImage:
    """Check an upload against `limits` and return fresh display and thumbnail JPEGs.

    Raises ImageRejected, with a reason meant for the investigator, for anything we will not
    publish. No other exception escapes for bad input: Pillow's own errors are translated.
    """
    data = _read_within_limit(source, limits.max_bytes)
    kind = _sniff_format(data)
    with _pillow_errors_as_rejections(), _strict_pillow():
        display = _decode_display(data, kind, limits)
    thumbnail = display.copy()
    thumbnail.thumbnail(_box(limits.thumb_long_side), Image.Resampling.LANCZOS)
    return SanitisedImage(
        display=_encode_jpeg(display),
        thumbnail=_encode_jpeg(thumbnail),
        display_size=display.size,
        thumbnail_size=thumbnail.size,
        phash=_phash(display),
    )


def phash_distance(a: str, b: str) -> int:
    """Number of differing bits between two hashes from `sanitise`; 0 means look-alike.

    As a rule of thumb, up to about 10 of 64 bits is the same picture re-encoded or resized.
    """
    return (_parse_phash(a) ^ _parse_phash(b)).bit_count()


# --- reading --------------------------------------------------------------------------------


def _read_within_limit(source: BinaryIO | str | os.PathLike[str], max_bytes: int) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            return _read_stream(stream, max_bytes)
    return _read_stream(source, max_bytes)


def _read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    size = _stream_size(stream)
    if size is not None and size > max_bytes:
        # Refuse before reading: a 2 GB upload should not cost 2 GB of memory to reject.
        raise ImageRejected(
            f"file is {_format_bytes(size)}; the limit is {_format_bytes(max_bytes)}"
        )
    # Read one byte past the limit so unseekable streams (and files that grew) are caught too.
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(f"file is larger than the {_format_bytes(max_bytes)} limit")
    if not data:
        raise ImageRejected("file is empty")
    return data


def _stream_size(stream: BinaryIO) -> int | None:
    """Size from the start of the stream, or None when the stream cannot seek."""
    try:
        # Start from 0 like Pillow does: Django's form validation may have read the file.
        size = stream.seek(0, os.SEEK_END)
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        return None
    return size


def _sniff_format(data: bytes) -> str:
    """Our format name for JPEG, PNG or WebP bytes; the file name is never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    looks_like = _describe_other_format(data)
    suffix = f" (looks like {looks_like})" if looks_like else ""
    raise ImageRejected(f"not a JPEG, PNG or WebP image{suffix}")


def _describe_other_format(data: bytes) -> str | None:
    for signature, name in _KNOWN_OTHERS:
        if data.startswith(signature):
            return name
    if data[4:8] == b"ftyp":
        return "HEIC or AVIF" if data[8:12] in {b"heic", b"heix", b"mif1", b"avif"} else "a video"
    # Markup may start with a BOM, whitespace, an XML declaration or a comment.
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        return "SVG"
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "HTML"
    if head.startswith(b"<"):
        return "XML or HTML"
    return None


# --- decoding -------------------------------------------------------------------------------


@contextlib.contextmanager
def _strict_pillow() -> Iterator[None]:
    """Make Pillow refuse truncated files and treat its bomb warning as an error, then restore.

    Both are process-wide switches in Pillow, so we set them only for the decode and put the
    caller's values back. That is safe in Celery's prefork workers; a threaded caller must
    not rely on LOAD_TRUNCATED_IMAGES being True while a crop is being sanitised.
    """
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


@contextlib.contextmanager
def _pillow_errors_as_rejections() -> Iterator[None]:
    """Translate whatever a hostile file makes Pillow raise into an ImageRejected."""
    try:
        yield
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard, kept as a second net behind our pixel limit.
        raise ImageRejected("image is too large to decode safely") from exc
    except MemoryError as exc:
        raise ImageRejected("image is too large to process") from exc
    except Exception as exc:
        # Pillow's plugins raise a zoo of types on malformed input (OSError, SyntaxError,
        # ValueError, struct.error, IndexError, EOFError...); to the uploader they all mean
        # the same thing. The original stays chained for the logs.
        raise ImageRejected("file is truncated or corrupt") from exc


def _decode_display(data: bytes, kind: str, limits: Limits) -> Image.Image:
    """Decode to an upright, sRGB, display-sized RGB image, checking limits before decoding."""
    # Constructing the plugin reads only the header: no pixel is decoded yet.
    with _DECODERS[kind](io.BytesIO(data)) as image:
        _check_header(image, limits)
        icc_profile = image.info.get("icc_profile")
        # JPEG can decode at 1/2, 1/4 or 1/8 scale, still at least the requested size, so
        # a 24-megapixel photo never needs all its pixels in memory. Other formats ignore it.
        image.draft(None, _fit(image.size, limits.display_long_side))
        image.load()
        pixels = _to_resizable_mode(image)
        # Shrink before anything else so orientation and colour work happen on few pixels.
        pixels.thumbnail(_box(limits.display_long_side), Image.Resampling.LANCZOS)
        # Conversions and resizing keep `info`, so the EXIF orientation tag is still there.
        upright = ImageOps.exif_transpose(pixels)
    return _to_srgb(upright, icc_profile)


def _check_header(image: ImageFile.ImageFile, limits: Limits) -> None:
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageRejected(
            f"image is {width}×{height} pixels ({_format_megapixels(width * height)}); "
            f"the limit is {_format_megapixels(limits.max_pixels)}"
        )
    _check_decode_budget(image, limits)
    # An animation could hide a different picture in a later frame than the one reviewed.
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRejected("animated images are not accepted")
    if min(width, height) < limits.min_side:
        raise ImageRejected(
            f"image is {width}×{height} pixels; "
            f"the short side must be at least {limits.min_side} pixels"
        )


def _check_decode_budget(image: ImageFile.ImageFile, limits: Limits) -> None:
    width, height = image.size
    per_pixel = _decode_bytes_per_pixel(image)
    needed = width * height * per_pixel
    if needed <= limits.decode_budget:
        return
    fits = limits.decode_budget // per_pixel
    if image.format == "WEBP":
        raise ImageRejected(
            f"image is {width}×{height} pixels in WebP: decoding WebP needs "
            f"{_format_bytes(needed)} of memory, the limit is "
            f"{_format_bytes(limits.decode_budget)}; save it as JPEG or PNG or make it at most "
            f"{_format_megapixels(fits)}"
        )
    raise ImageRejected(
        f"image is {width}×{height} pixels {_describe_depth(image.mode)}: processing it needs "
        f"{_format_bytes(needed)} of memory, the limit is {_format_bytes(limits.decode_budget)}; "
        f"save it with 8 bits per channel or make it at most {_format_megapixels(fits)}"
    )


# Bytes per pixel held at full size at once: the decoded image (Pillow keeps 1 or 4 bytes a
# pixel) plus the conversion `_to_resizable_mode` makes before anything is shrunk.
_DECODE_BYTES_PER_PIXEL = {
    "1": 1 + 1,  # to L
    "L": 1,
    "P": 1 + 4,  # to RGB or RGBA
    "LA": 4,
    "RGB": 4,
    "RGBA": 4,
    "CMYK": 4,
    "I": 4 + 4 + 4,  # a 32-bit copy and its scaled copy
}
_OTHER_MODE_BYTES_PER_PIXEL = 4 + 4  # converted to RGB
# WebP, whatever its mode: Pillow's decoder holds libwebp's output buffer, the frame it copies
# out of it and the image, about four copies at 4 bytes a pixel, plus libwebp's working rows
# (bench/intake.py measured a peak of 4.02x the decoded size, 16.1 bytes a pixel). Charged
# 17, a WebP gets under a quarter of the pixels an 8-bit JPEG or PNG may have (11.8 of 50
# megapixels) and its peak stays under the budget.
_WEBP_BYTES_PER_PIXEL = 17


def _decode_bytes_per_pixel(image: ImageFile.ImageFile) -> int:
    if image.format == "WEBP":
        return _WEBP_BYTES_PER_PIXEL
    if image.mode.startswith("I;16"):
        return 2 + 4 + 4  # the 16-bit image, its 32-bit copy and the scaled copy
    per_pixel = _DECODE_BYTES_PER_PIXEL.get(image.mode, _OTHER_MODE_BYTES_PER_PIXEL)
    if "transparency" in image.info and image.mode in {"L", "RGB"}:
        per_pixel += 4  # a colour key becomes an RGBA copy
    return per_pixel


def _describe_depth(mode: str) -> str:
    if mode.startswith("I;16"):
        return "at 16 bits per channel"
    if mode in {"I", "F"}:
        return "at 32 bits per channel"
    return f"in {mode} mode"


def _to_resizable_mode(image: Image.Image) -> Image.Image:
    """Bring exotic modes to one that LANCZOS resizing and colour management handle well."""
    if image.mode.startswith("I"):
        # 16-bit greyscale PNG: Pillow's plain convert("L") clips everything above 255 to
        # white, so scale 0..65535 down to 0..255 instead.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "1":
        return image.convert("L")
    if image.has_transparency_data and image.mode not in {"RGBA", "LA"}:
        # Palette transparency, or a PNG colour key on an RGB or greyscale image: make it
        # a real alpha channel so it is flattened like any other transparent area.
        return image.convert("RGBA")
    if image.mode in {"RGB", "RGBA", "L", "LA", "CMYK"}:
        return image
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    opaque = _flatten_alpha(image)
    if icc_profile:
        converted = _convert_with_profile(opaque, icc_profile)
        if converted is not None:
            return converted
    return opaque.convert("RGB")


def _flatten_alpha(image: Image.Image) -> Image.Image:
    if image.mode not in {"RGBA", "LA"}:
        return image
    base_mode = image.mode[:-1]
    grey = BACKGROUND_GREY if base_mode == "L" else (BACKGROUND_GREY,) * 3
    background = Image.new(base_mode, image.size, grey)
    background.paste(image.convert(base_mode), mask=image.getchannel("A"))
    return background


def _convert_with_profile(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """Convert from the embedded profile to sRGB; None if the profile is unusable.

    We fall back to a plain conversion rather than rejecting: a broken or mismatched profile
    (a Lab profile on an RGB file, truncated bytes) only shifts colours slightly, the profile
    is dropped either way, and the investigator could not see or fix the problem.
    """
    try:
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source_profile, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# --- encoding and hashing -------------------------------------------------------------------


def _encode_jpeg(image: Image.Image) -> bytes:
    # A brand-new image carries no `info`, so nothing (EXIF, XMP, ICC, comments, DPI) can
    # ride along from the upload; the explicit exif=b"" guards against Pillow defaults.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, exif=b"")
    return buffer.getvalue()


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DCT_INPUT_SIDE = 32
_HASH_SIDE = 8
# cos((2x + 1)uπ / 2N) for the 8 lowest frequencies u; only those feed the hash.
_DCT_COSINES = tuple(
    tuple(
        math.cos((2 * x + 1) * u * math.pi / (2 * _DCT_INPUT_SIDE)) for x in range(_DCT_INPUT_SIDE)
    )
    for u in range(_HASH_SIDE)
)


def _phash(image: Image.Image) -> str:
    """Classic 64-bit pHash: low-frequency DCT coefficients above or below their median.

    Low frequencies describe the overall layout of light and dark, which survives resizing,
    re-encoding and small colour changes, so near-identical crops get near-identical hashes.
    """
    side = _DCT_INPUT_SIDE
    small = image.convert("L").resize((side, side), Image.Resampling.LANCZOS).tobytes()
    rows = [small[y * side : (y + 1) * side] for y in range(side)]
    # A 2-D DCT is separable: transform each row, then each column of the result.
    row_freqs = [
        [sum(c * p for c, p in zip(cosines, row, strict=True)) for cosines in _DCT_COSINES]
        for row in rows
    ]
    coefficients = [
        sum(_DCT_COSINES[v][y] * row_freqs[y][u] for y in range(side))
        for v in range(_HASH_SIDE)
        for u in range(_HASH_SIDE)
    ]
    # The DC term is the mean brightness; it would skew the median, so leave it out there.
    median = statistics.median(coefficients[1:])
    bits = 0
    for coefficient in coefficients:
        bits = (bits << 1) | (coefficient > median)
    return f"{bits:016x}"


def _parse_phash(value: str) -> int:
    # int(..., 16) alone would also accept signs, spaces and underscores.
    if len(value) != 16 or not set(value) <= _HEX_DIGITS:
        raise ValueError(f"a perceptual hash has 16 hex digits, got {value!r}")
    return int(value, 16)


# --- small helpers --------------------------------------------------------------------------


def _box(long_side: int) -> tuple[int, int]:
    """Bounding box for Image.thumbnail that limits the long side, whatever the orientation."""
    return (long_side, long_side)


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return (max(1, round(width * scale)), max(1, round(height * scale)))


def _format_bytes(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{_one_decimal(size / scale)} {unit}"
    return f"{size} bytes"


def _format_megapixels(pixels: int) -> str:
    return f"{_one_decimal(pixels / 1_000_000)} megapixels"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
