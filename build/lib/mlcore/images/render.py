"""Draw pipeline results onto the image: labelled boxes for detections, coloured translucent masks
for segments. Colours follow the label, so one class keeps one colour across images."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Sequence
from typing import Any

#: Distinct, readable colours (Tableau 10).
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
MASK_OPACITY = 0.45


def label_colour(label: str, instance: int = 0) -> tuple[int, int, int]:
    """A stable colour for a label; further instances of the label take the next palette colours."""
    return PALETTE[(int(hashlib.md5(str(label).encode()).hexdigest(), 16) + instance) % len(PALETTE)]


def draw_boxes(image, detections: Sequence[dict[str, Any]]):
    """A copy of ``image`` with one labelled rectangle per detection (``box``, ``label``, ``score``)."""
    from PIL import ImageDraw

    canvas = image.convert("RGB").copy()
    draw = ImageDraw.Draw(canvas)
    width = max(2, min(canvas.size) // 150)
    font = _font(canvas)
    for item in detections:
        box = item.get("box") or {}
        try:
            corners = [float(box[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
        except (KeyError, TypeError, ValueError):
            continue
        colour = label_colour(item.get("label", ""))
        draw.rectangle(corners, outline=colour, width=width)
        _caption(draw, font, (corners[0], corners[1]), _text(item), colour)
    return canvas


def overlay_masks(image, segments: Sequence[dict[str, Any]]):
    """A copy of ``image`` with each segment's mask (a PIL "L"/"1" image) tinted in its label's colour."""
    from PIL import Image, ImageDraw

    base = image.convert("RGBA")
    font = _font(base)
    captions = []
    seen: dict[str, int] = {}
    for item in segments:
        mask = item.get("mask")
        if mask is None or not hasattr(mask, "convert"):
            continue
        mask = mask.convert("L")
        if mask.size != base.size:
            mask = mask.resize(base.size, Image.NEAREST)
        label = str(item.get("label", ""))
        colour = label_colour(label, seen.get(label, 0))
        seen[label] = seen.get(label, 0) + 1
        alpha = mask.point(lambda v: int(255 * MASK_OPACITY) if v > 127 else 0)
        layer = Image.new("RGBA", base.size, (*colour, 0))
        layer.putalpha(alpha)
        base = Image.alpha_composite(base, layer)
        bounds = alpha.getbbox()
        if bounds:
            captions.append(((bounds[0], bounds[1]), _text(item), colour))
    canvas = base.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for position, text, colour in captions:
        _caption(draw, font, position, text, colour)
    return canvas


def to_png_base64(image) -> str:
    """The image as a base64-encoded PNG (what the portal, the ``iop`` CLI and IRIS display)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _text(item: dict[str, Any]) -> str:
    label = str(item.get("label") or "object")
    score = item.get("score")
    return f"{label} {float(score):.2f}" if isinstance(score, (int, float)) else label


def _font(image):
    from PIL import ImageFont

    size = max(10, min(image.size) // 30)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _caption(draw, font, position: tuple[float, float], text: str, colour: tuple[int, int, int]) -> None:
    x, y = position
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    height = bottom - top
    y = y - height - 4 if y - height - 4 >= 0 else y  # above the box when there is room
    left, top, right, bottom = draw.textbbox((x + 2, y + 1), text, font=font)
    draw.rectangle((left - 2, top - 1, right + 2, bottom + 1), fill=colour)
    draw.text((x + 2, y + 1), text, fill=(255, 255, 255), font=font)
