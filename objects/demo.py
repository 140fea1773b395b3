"""Demo objects for a local try-out, drawn with Pillow: patterns, logos, packaging shapes.

Nothing here is a photograph: every image is generated from these few shapes, so the demo
data is safe to publish anywhere.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageDraw

from objects.models import Category

SIZE = (960, 720)
# {"<English title as below>": {"fr": {"title": …, "question": …, "alt_text": …}, …}}
TRANSLATIONS_FILE = Path(__file__).with_name("demo_translations.json")
# The demo's region hints, translated by the catalogues (they are few and fixed).
REGION_HINTS = (
    gettext_noop("Europe"),
    gettext_noop("South-East Asia"),
    gettext_noop("Middle East"),
    gettext_noop("South America"),
    gettext_noop("North Africa"),
)
Draw = Callable[[ImageDraw.ImageDraw, tuple[int, int]], None]


@dataclass(frozen=True)
class DemoObject:
    title: str
    category: str
    questions: str
    region_hint: str
    alt_text: str
    background: tuple[int, int, int]
    draw: Draw


def _wallpaper(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    for row, y in enumerate(range(0, size[1], 90)):
        for x in range(-45 * (row % 2), size[0], 90):
            draw.ellipse([x + 20, y + 20, x + 70, y + 70], outline=(140, 60, 90), width=6)
            draw.line([x + 45, y + 25, x + 45, y + 65], fill=(90, 120, 70), width=4)


def _tshirt_logo(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.polygon(
        [
            (w * 0.3, h * 0.1),
            (w * 0.7, h * 0.1),
            (w * 0.9, h * 0.3),
            (w * 0.78, h * 0.4),
            (w * 0.72, h * 0.34),
            (w * 0.72, h * 0.95),
            (w * 0.28, h * 0.95),
            (w * 0.28, h * 0.34),
            (w * 0.22, h * 0.4),
            (w * 0.1, h * 0.3),
        ],
        fill=(40, 70, 140),
    )
    _star(draw, (w // 2, int(h * 0.5)), 90, (250, 200, 40))


def _star(draw: ImageDraw.ImageDraw, centre: tuple[int, int], radius: int, fill: Any) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append((centre[0] + r * math.cos(angle), centre[1] - r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def _bottle(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.rounded_rectangle([w * 0.38, h * 0.25, w * 0.62, h * 0.92], radius=40, fill=(60, 160, 150))
    draw.rectangle([w * 0.45, h * 0.1, w * 0.55, h * 0.26], fill=(230, 230, 235))
    draw.rectangle([w * 0.4, h * 0.45, w * 0.6, h * 0.7], fill=(250, 245, 220))
    draw.ellipse([w * 0.46, h * 0.5, w * 0.54, h * 0.62], fill=(220, 90, 60))


def _cereal_box(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.polygon(
        [(w * 0.3, h * 0.15), (w * 0.65, h * 0.15), (w * 0.75, h * 0.08), (w * 0.4, h * 0.08)],
        fill=(200, 120, 40),
    )
    draw.rectangle([w * 0.3, h * 0.15, w * 0.65, h * 0.92], fill=(240, 160, 50))
    draw.polygon(
        [(w * 0.65, h * 0.15), (w * 0.75, h * 0.08), (w * 0.75, h * 0.85), (w * 0.65, h * 0.92)],
        fill=(190, 110, 30),
    )
    for i in range(3):
        y = h * (0.3 + i * 0.18)
        draw.ellipse([w * 0.38, y, w * 0.57, y + h * 0.12], fill=(120, 60, 20))


def _rug(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.rectangle([40, 40, w - 40, h - 40], fill=(150, 40, 50))
    for i in range(6):
        inset = 70 + i * 45
        draw.rectangle(
            [inset, inset * 0.75, w - inset, h - inset * 0.75], outline=(235, 200, 120), width=10
        )
    draw.regular_polygon((w // 2, h // 2, 60), 4, fill=(30, 60, 110))


def _toy_blocks(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    colours = [(220, 60, 60), (60, 120, 220), (240, 200, 40), (60, 170, 90)]
    for i, colour in enumerate(colours):
        x = 180 + i * 150
        y = 420 - (i % 2) * 150
        draw.rectangle([x, y, x + 130, y + 130], fill=colour, outline=(40, 40, 40), width=4)
        draw.ellipse([x + 40, y + 40, x + 90, y + 90], fill=(250, 250, 250))


def _flyer(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.rectangle([w * 0.25, h * 0.05, w * 0.75, h * 0.95], fill=(255, 255, 250))
    draw.rectangle([w * 0.25, h * 0.05, w * 0.75, h * 0.25], fill=(30, 110, 60))
    _star(draw, (int(w * 0.5), int(h * 0.15)), 50, (255, 255, 255))
    for i in range(9):  # bars stand in for text: the demo shows no readable words
        y = h * 0.32 + i * 45
        draw.rectangle([w * 0.3, y, w * (0.7 - (i % 3) * 0.08), y + 16], fill=(120, 120, 120))


def _window_view(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.rectangle([0, 0, w, h * 0.65], fill=(150, 200, 235))
    heights = [0.35, 0.5, 0.28, 0.42, 0.6, 0.3, 0.45]
    for i, height in enumerate(heights):
        x = i * w / len(heights)
        draw.rectangle(
            [x + 8, h * (0.65 - height), x + w / len(heights) - 8, h * 0.65], fill=(90, 95, 110)
        )
    draw.rectangle([0, h * 0.65, w, h], fill=(110, 140, 90))
    draw.rectangle([0, 0, w, h], outline=(245, 245, 245), width=40)
    draw.line([w / 2, 0, w / 2, h], fill=(245, 245, 245), width=24)


def _car(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.rounded_rectangle([w * 0.15, h * 0.45, w * 0.85, h * 0.7], radius=30, fill=(180, 30, 40))
    draw.polygon(
        [(w * 0.3, h * 0.45), (w * 0.4, h * 0.3), (w * 0.62, h * 0.3), (w * 0.72, h * 0.45)],
        fill=(160, 25, 35),
    )
    for x in (0.3, 0.7):
        draw.ellipse([w * x - 60, h * 0.62, w * x + 60, h * 0.62 + 120], fill=(30, 30, 30))
        draw.ellipse([w * x - 25, h * 0.62 + 35, w * x + 25, h * 0.62 + 85], fill=(190, 190, 190))


def _chair(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    wood = (140, 90, 50)
    draw.rectangle([w * 0.35, h * 0.1, w * 0.65, h * 0.5], fill=wood)
    for i in range(4):
        x = w * 0.38 + i * w * 0.07
        draw.rectangle([x, h * 0.15, x + 14, h * 0.48], fill=(230, 220, 200))
    draw.rectangle([w * 0.3, h * 0.5, w * 0.7, h * 0.58], fill=wood)
    for x in (0.32, 0.66):
        draw.rectangle([w * x, h * 0.58, w * x + 20, h * 0.92], fill=wood)


def _mug(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.ellipse([w * 0.58, h * 0.35, w * 0.75, h * 0.65], outline=(240, 240, 240), width=24)
    draw.rounded_rectangle([w * 0.3, h * 0.25, w * 0.62, h * 0.8], radius=24, fill=(240, 240, 240))
    for i in range(5):
        draw.arc(
            [w * 0.34, h * (0.35 + i * 0.08), w * 0.58, h * (0.45 + i * 0.08)],
            0,
            180,
            fill=(40, 90, 170),
            width=8,
        )


def _curtain(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    for x in range(0, w, 60):
        draw.rectangle([x, 0, x + 30, h], fill=(230, 200, 90))
    for y in range(0, h, 60):
        draw.rectangle([0, y, w, y + 12], fill=(120, 150, 60))


def _sticker(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    draw.ellipse(
        [w * 0.3, h * 0.15, w * 0.7, h * 0.85], fill=(250, 250, 250), outline=(20, 20, 20), width=8
    )
    draw.regular_polygon((w // 2, h // 2, 150), 3, fill=(230, 80, 30))
    draw.regular_polygon((w // 2, h // 2 + 20, 60), 6, fill=(40, 40, 40))


DEMO_OBJECTS = [
    DemoObject(
        "Wallpaper with rings and stems",
        Category.TEXTILE,
        "Where have you seen this wallpaper? Which shop sells it?",
        "Europe",
        "Cream wallpaper with a repeating pattern of purple rings crossed by green stems",
        (245, 235, 215),
        _wallpaper,
    ),
    DemoObject(
        "T-shirt with a yellow star",
        Category.CLOTHING,
        "Do you know this logo or the brand of this T-shirt?",
        "",
        "Blue T-shirt with a large yellow five-pointed star on the chest",
        (230, 230, 230),
        _tshirt_logo,
    ),
    DemoObject(
        "Teal shampoo bottle",
        Category.PACKAGING,
        "Which brand is this bottle? In which countries is it sold?",
        "Europe",
        "Teal plastic bottle with a white cap and a cream label with a red dot",
        (235, 240, 245),
        _bottle,
    ),
    DemoObject(
        "Orange cereal box",
        Category.PACKAGING,
        "Do you recognise this box? Where is it sold?",
        "South-East Asia",
        "Orange cardboard box printed with three brown ovals",
        (220, 230, 240),
        _cereal_box,
    ),
    DemoObject(
        "Red rug with a gold border",
        Category.TEXTILE,
        "Where is this rug sold or made?",
        "Middle East",
        "Red rectangular rug with nested gold borders and a blue diamond in the middle",
        (200, 195, 185),
        _rug,
    ),
    DemoObject(
        "Wooden toy blocks",
        Category.TOY,
        "Which company makes these blocks?",
        "",
        "Four toy blocks in red, blue, yellow and green, each with a white circle",
        (245, 240, 230),
        _toy_blocks,
    ),
    DemoObject(
        "Supermarket flyer with a star",
        Category.PRINT,
        "Which shop or chain prints flyers like this?",
        "Europe",
        "Leaflet with a green header holding a white star above grey lines of text",
        (210, 210, 210),
        _flyer,
    ),
    DemoObject(
        "View from a window",
        Category.BUILDING,
        "Do you recognise this skyline?",
        "",
        "View through a white window frame of grey buildings under a blue sky over a green field",
        (250, 250, 250),
        _window_view,
    ),
    DemoObject(
        "Small red car",
        Category.VEHICLE,
        "Which model is this car? Where is it common?",
        "South America",
        "Side view of a small red saloon car with a separate boot and grey wheels",
        (225, 230, 235),
        _car,
    ),
    DemoObject(
        "Wooden chair with white spindles",
        Category.FURNITURE,
        "Which shop sells this chair?",
        "Europe",
        "Brown wooden chair whose back has four white spindles",
        (240, 236, 228),
        _chair,
    ),
    DemoObject(
        "White mug with blue waves",
        Category.OTHER,
        "Where is this mug sold?",
        "",
        "White mug decorated with five blue wave lines",
        (60, 70, 90),
        _mug,
    ),
    DemoObject(
        "Yellow and green checked curtain",
        Category.TEXTILE,
        "Where have you seen this fabric?",
        "North Africa",
        "Curtain fabric with yellow vertical stripes and thin green horizontal bands",
        (250, 248, 240),
        _curtain,
    ),
    DemoObject(
        "Round sticker with a triangle",
        Category.PRINT,
        "Do you know this symbol or where the sticker comes from?",
        "",
        "Round white sticker with an orange triangle and a black hexagon",
        (180, 200, 210),
        _sticker,
    ),
]


def demo_image(demo: DemoObject) -> bytes:
    image = Image.new("RGB", SIZE, demo.background)
    demo.draw(ImageDraw.Draw(image), SIZE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


DEMO_CASE = "DEMO-2026-001"
# The file's "question" is the object's "questions" field (one question per demo object).
_FILE_FIELDS = {
    "title": "title",
    "question": "questions",
    "questions": "questions",
    "alt_text": "alt_text",
    "region_hint": "region_hint",
}


def demo_translations(demo: DemoObject) -> dict[str, dict[str, str]]:
    """The demo object's texts in every other language: title, question and alt text from
    demo_translations.json, the region hint from the catalogues."""
    data = json.loads(TRANSLATIONS_FILE.read_text(encoding="utf-8"))
    texts: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        if code == settings.LANGUAGE_CODE:
            continue
        given = data.get(demo.title, {}).get(code, {})
        entry = {_FILE_FIELDS[key]: value for key, value in given.items() if key in _FILE_FIELDS}
        if demo.region_hint and "region_hint" not in entry:
            with translation.override(code):
                region = gettext(demo.region_hint)
            if region != demo.region_hint:
                entry["region_hint"] = region
        if entry:
            texts[code] = entry
    return texts


def demo_objects_ensure(*, uploader: User, approver: User) -> int:
    """Publish the demo objects that are missing, through the real intake and approval.

    Returns how many were created; objects already in the demo case (by title) are left alone.
    """
    from objects.intake import object_intake
    from objects.models import ObjectState, Outcome, TracedObject
    from objects.services import (
        ApprovalChecklist,
        ObjectDetails,
        case_ensure,
        object_approve,
        object_mark_identified,
        object_submit,
        translations_clean,
    )

    case = case_ensure(reference=DEMO_CASE, owner=uploader, title="Demo case (synthetic images)")
    case.owners.add(approver)
    existing = dict(case.traced_objects.values_list("title", "pk"))
    checklist = ApprovalChecklist(True, True, True)
    created = 0
    for demo in DEMO_OBJECTS:
        translations = translations_clean(demo_translations(demo))
        if demo.title in existing:
            # Seeded before: bring its translations up to date (the demo's own objects only).
            TracedObject.objects.filter(pk=existing[demo.title]).update(translations=translations)
            continue
        details = ObjectDetails(
            title=demo.title,
            category=demo.category,
            questions=demo.questions,
            alt_text=demo.alt_text,
            region_hint=demo.region_hint,
            translations=translations,
        )
        obj = object_submit(
            case=case,
            uploaded_by=uploader,
            upload=io.BytesIO(demo_image(demo)),
            details=details,
            queue_intake=False,
        )
        obj = object_approve(obj=object_intake(object_id=obj.pk), by=approver, checklist=checklist)
        created += 1
    # One identified object, so the gallery shows what an outcome looks like.
    first = TracedObject.objects.filter(case=case, title=DEMO_OBJECTS[2].title).first()
    if first and first.state == ObjectState.PUBLISHED:
        object_mark_identified(
            obj=first,
            by=approver,
            outcome=Outcome.COUNTRY_NARROWED,
            # No free text: the outcome's own (translated) name says it in every language.
            public_line="",
        )
    return created
