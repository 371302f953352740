"""Images for pipelines: load the request's image safely, run the task, draw and summarise results."""

from .render import draw_boxes, label_colour, overlay_masks, to_png_base64
from .results import summarise, summarise_mask
from .source import (
    DEFAULT_IMAGE_DIR,
    ImageLimits,
    ImageNotAllowed,
    ImageSourceError,
    ImageTooLargeError,
    load_image,
    parse_image_dirs,
    take_image_source,
)
from .tasks import IMAGE_TASKS, ImageAnswer, ImageTaskError, render_results, run_image_pipeline, takes_image

__all__ = [
    "DEFAULT_IMAGE_DIR", "IMAGE_TASKS", "ImageAnswer", "ImageLimits", "ImageNotAllowed", "ImageSourceError",
    "ImageTaskError", "ImageTooLargeError",
    "draw_boxes", "label_colour", "load_image", "overlay_masks", "parse_image_dirs", "render_results",
    "run_image_pipeline", "summarise", "summarise_mask", "take_image_source", "takes_image", "to_png_base64",
]
