"""Contact sheets for `make screenshots`: every page of one language at both widths on one
picture, so that a person can look at 28 pictures instead of 672."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

THUMB_WIDTH = {360: 180, 1280: 400}
THUMB_HEIGHT = 520
GAP = 8
LABEL = 16


def contact_sheet(folder: Path, code: str, *, pages: list[str], widths: list[int]) -> Path:
    """sheet-<code>.png: one row per page, the phone and the desktop picture side by side,
    each scaled to a fixed width and cut at THUMB_HEIGHT (the top of the page)."""
    row_width = sum(THUMB_WIDTH[width] for width in widths) + GAP * (len(widths) + 1)
    columns = 3
    cell_height = THUMB_HEIGHT + LABEL + GAP
    rows = -(-len(pages) // columns)
    sheet = Image.new("RGB", (row_width * columns, cell_height * rows), "#888888")
    draw = ImageDraw.Draw(sheet)
    for index, name in enumerate(pages):
        left = (index % columns) * row_width + GAP
        top = (index // columns) * cell_height
        draw.text((left, top + 2), f"{name} ({code})", fill="black")
        for width in widths:
            path = folder / f"{name}-{code}-{width}.png"
            if path.exists():
                with Image.open(path) as shot:
                    scale = THUMB_WIDTH[width] / shot.width
                    thumb = shot.resize((THUMB_WIDTH[width], max(1, round(shot.height * scale))))
                    sheet.paste(
                        thumb.crop((0, 0, THUMB_WIDTH[width], min(THUMB_HEIGHT, thumb.height))),
                        (left, top + LABEL),
                    )
            left += THUMB_WIDTH[width] + GAP
    out = folder / f"sheet-{code}.png"
    sheet.save(out, optimize=True)
    return out
