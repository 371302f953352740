"""Build a ``transformers`` pipeline from a model folder and run it on a request's arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .jsonable import to_jsonable


class ModelLoadError(RuntimeError):
    """The model folder is missing or the pipeline could not be built from it."""


class PipelineCallError(ValueError):
    """The request's arguments do not fit the pipeline."""


def load_pipeline(model_dir: Path, task: str | None, options: dict[str, Any] | None = None) -> Any:
    """Build ``transformers.pipeline(task, model=model_dir, **options)``.

    Raises:
        ModelLoadError: the folder does not exist, no task is given, or transformers fails;
            the message names the folder and the cause.
    """
    model_dir = Path(model_dir)
    if not task:
        raise ModelLoadError(f"setting 'task' is required (e.g. task=text-generation) for {model_dir}")
    if not model_dir.is_dir():
        raise ModelLoadError(f"no model folder at {model_dir}: copy a model there or set model_url")
    from transformers import pipeline

    try:
        return pipeline(task=task, model=str(model_dir), **(options or {}))
    except Exception as exc:
        raise ModelLoadError(f"could not build a {task!r} pipeline from {model_dir}: {exc}") from exc


def run_pipeline(pipe: Any, arguments: dict[str, Any]) -> Any:
    """Call the pipeline with the request's fields as keyword arguments; return JSON-safe output.

    Raises:
        PipelineCallError: no arguments, or arguments the pipeline rejects.
    """
    if not arguments:
        raise PipelineCallError(
            f"the request has no arguments for the {pipe.task!r} pipeline "
            "(e.g. {\"inputs\": \"...\"} or {\"text_inputs\": \"...\"})")
    from transformers.pipelines.base import PipelineException

    arguments = _generation_defaults(pipe.task, arguments)
    try:
        return to_jsonable(pipe(**arguments))
    except (TypeError, ValueError, KeyError, PipelineException) as exc:
        raise PipelineCallError(
            f"the {pipe.task!r} pipeline rejected the request fields {sorted(arguments)}: {exc}") from exc


def _generation_defaults(task: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Several sequences from greedy decoding are refused by today's ``generate``; the seed asks
    ``num_return_sequences: 3`` and relied on gpt2's sampling default, so sample unless told how."""
    wants_several = isinstance(arguments.get("num_return_sequences"), int) and arguments["num_return_sequences"] > 1
    decoding_given = any(key in arguments for key in ("do_sample", "num_beams", "generation_config"))
    if task == "text-generation" and wants_several and not decoding_given:
        return {**arguments, "do_sample": True}
    return arguments
