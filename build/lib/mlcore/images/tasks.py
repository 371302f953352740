"""Run a pipeline that takes an image and build its answer: JSON-safe results plus a drawn PNG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .render import draw_boxes, overlay_masks, to_png_base64
from .results import summarise

#: ``transformers`` pipeline tasks whose first argument is an image.
IMAGE_TASKS = frozenset({
    "object-detection", "image-segmentation", "image-classification", "zero-shot-image-classification",
    "zero-shot-object-detection", "depth-estimation", "image-to-text", "image-feature-extraction",
    "mask-generation", "image-to-image", "visual-question-answering", "document-question-answering",
    "image-text-to-text", "keypoint-matching",
})


class ImageTaskError(ValueError):
    """The pipeline rejected the image or the request's other arguments."""


@dataclass
class ImageAnswer:
    """Structured results and, when something could be drawn, the image as a base64 PNG."""

    output: Any
    image_png_base64: str | None = None


def takes_image(task: str | None) -> bool:
    """True for pipeline tasks that take an image (the request's ``url`` is loaded for them)."""
    return (task or "") in IMAGE_TASKS


def run_image_pipeline(pipe: Any, image, arguments: dict[str, Any] | None = None) -> ImageAnswer:
    """Call ``pipe(image, **arguments)``; draw boxes or masks onto the image when the results have them.

    Args:
        pipe: a ``transformers`` pipeline of an image task.
        image: an RGB ``PIL.Image``.
        arguments: the request's other fields (``threshold``, ``candidate_labels``, ``top_k``...).

    Returns:
        The summarised results and the drawn PNG (None when the task gives nothing to draw).

    Raises:
        ImageTaskError: the pipeline rejected the arguments.
    """
    try:
        results = pipe(image, **(arguments or {}))
    except (TypeError, ValueError, KeyError) as exc:
        raise ImageTaskError(f"the {getattr(pipe, 'task', '?')!r} pipeline rejected the request "
                             f"(arguments {sorted(arguments or {})}): {exc}") from exc
    drawn = render_results(image, results)
    return ImageAnswer(output=summarise(results), image_png_base64=to_png_base64(drawn) if drawn else None)


def render_results(image, results: Any):
    """The image to show for ``results``: boxes or masks drawn on ``image``, an image the pipeline
    produced (depth map, image-to-image), or None when there is nothing to draw."""
    items = results if isinstance(results, list) else [results]
    dicts = [item for item in items if isinstance(item, dict)]
    if dicts and any("mask" in item for item in dicts):
        return overlay_masks(image, dicts)
    if dicts and any("box" in item for item in dicts):
        return draw_boxes(image, dicts)
    if isinstance(results, list) and not results:
        return image.convert("RGB")  # a detector that found nothing: show what it looked at
    for item in items:
        produced = item.get("depth") if isinstance(item, dict) else item
        if type(produced).__module__.startswith("PIL.") and hasattr(produced, "mode"):
            return produced.convert("RGB")
    return None

