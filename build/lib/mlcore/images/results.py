"""Turn image pipeline results into JSON-safe summaries: boxes, labels and scores as they are;
masks, images and tensors described (size, area, bounds), never dumped pixel by pixel."""

from __future__ import annotations

from typing import Any

from ..jsonable import to_jsonable

#: Arrays with more elements than this are described, not listed.
MAX_LISTED_ELEMENTS = 64


def summarise(value: Any) -> Any:
    """A JSON-safe summary of a pipeline result (lists and dicts recursively)."""
    if isinstance(value, dict):
        return {str(k): (summarise_mask(v) if k == "mask" else summarise(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [summarise(v) for v in value]
    if _is_pil(value):
        return {"image": {"mode": value.mode, "size": list(value.size)}}
    shape = getattr(value, "shape", None)
    if shape is not None and _elements(shape) > MAX_LISTED_ELEMENTS:
        return {"tensor": {"shape": [int(d) for d in shape], "min": float(value.min()), "max": float(value.max())}}
    return to_jsonable(value)


def summarise_mask(mask: Any) -> Any:
    """``{"size", "area", "area_fraction", "box"}`` of a PIL mask: its pixels above half intensity."""
    if not _is_pil(mask):
        return summarise(mask)
    binary = mask.convert("L").point(lambda v: 255 if v > 127 else 0)
    area = int(binary.histogram()[255])
    width, height = binary.size
    bounds = binary.getbbox()
    box = dict(zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True)) if bounds else None
    return {"size": [width, height], "area": area, "area_fraction": round(area / (width * height), 4), "box": box}


def _is_pil(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "mode")


def _elements(shape) -> int:
    count = 1
    for dimension in shape:
        count *= int(dimension)
    return count
