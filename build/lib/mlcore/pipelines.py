"""Build a ``transformers`` pipeline from a model folder and run it on a request's arguments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bounds import whole_number
from .jsonable import to_jsonable


class ModelLoadError(RuntimeError):
    """The model folder is missing or the pipeline could not be built from it."""


class PipelineCallError(ValueError):
    """The request's arguments do not fit the pipeline."""


class AnswerTooLargeError(PipelineCallError):
    """The request asks for more output than the operation's limits allow."""


@dataclass(frozen=True)
class AnswerLimits:
    """How much one request may ask of a pipeline (the MLOperation's ``max_*`` settings): a request
    of ``num_return_sequences`` 1e6 would hold the worker for minutes and answer tens of megabytes."""

    max_return_sequences: int = 16
    max_answer_tokens: int = 2048
    max_inputs: int = 64


#: Request fields bounded by each limit, with the setting that sets it.
_BOUNDED = {"num_return_sequences": "max_return_sequences", "num_beams": "max_return_sequences",
            "top_k": "max_return_sequences", "max_new_tokens": "max_answer_tokens",
            "max_length": "max_answer_tokens"}


def check_answer_size(arguments: dict[str, Any], limits: AnswerLimits) -> dict[str, Any]:
    """``arguments`` with the fields that size the answer checked against ``limits`` (whole numbers
    within bounds), and at most ``max_inputs`` inputs in a list.

    Raises:
        AnswerTooLargeError: naming the field, the bound and the setting.
    """
    checked = dict(arguments)
    for name, setting in _BOUNDED.items():
        if checked.get(name) is not None:
            checked[name] = whole_number(name, checked[name], minimum=1, maximum=getattr(limits, setting),
                                         error=AnswerTooLargeError, setting=setting)
    for name in ("text_inputs", "inputs"):
        if isinstance(checked.get(name), list) and len(checked[name]) > limits.max_inputs:
            raise AnswerTooLargeError(f"{name} holds {len(checked[name])} inputs; at most {limits.max_inputs} "
                                      f"(the max_inputs setting)")
    return checked


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


def run_pipeline(pipe: Any, arguments: dict[str, Any], limits: AnswerLimits | None = None) -> Any:
    """Call the pipeline with the request's fields as keyword arguments; return JSON-safe output.

    Raises:
        AnswerTooLargeError: the request asks for more than ``limits`` allow (checked before running).
        PipelineCallError: no arguments, or arguments the pipeline rejects.
    """
    if not arguments:
        raise PipelineCallError(
            f"the request has no arguments for the {pipe.task!r} pipeline "
            "(e.g. {\"inputs\": \"...\"} or {\"text_inputs\": \"...\"})")
    from transformers.pipelines.base import PipelineException

    arguments = _generation_defaults(pipe.task, check_answer_size(arguments, limits or AnswerLimits()))
    try:
        output = pipe(**arguments)
    except (TypeError, ValueError, KeyError, PipelineException) as exc:
        raise PipelineCallError(
            f"the {pipe.task!r} pipeline rejected the request fields {sorted(arguments)}: {exc}") from exc
    return output if pipe.task in LISTED_TASKS and not arguments.get("return_tensors") else to_jsonable(output)


#: Tasks whose pipelines answer ``tensor.tolist()`` unless asked for tensors: plain lists of floats
#: already, which :func:`to_jsonable` would check float by float (1 ms on an answer of 1 MB).
LISTED_TASKS = frozenset({"feature-extraction", "image-feature-extraction"})


def _generation_defaults(task: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Several sequences from greedy decoding are refused by today's ``generate``; the seed asks
    ``num_return_sequences: 3`` and relied on gpt2's sampling default, so sample unless told how."""
    wants_several = isinstance(arguments.get("num_return_sequences"), int) and arguments["num_return_sequences"] > 1
    decoding_given = any(key in arguments for key in ("do_sample", "num_beams", "generation_config"))
    if task == "text-generation" and wants_several and not decoding_given:
        return {**arguments, "do_sample": True}
    return arguments


#: Tasks whose answer to one text does not depend on the other texts of its batch (padding is
#: masked out of a pooled label); feature-extraction, for one, would answer padded vectors.
BATCHABLE_TASKS = frozenset({"text-classification", "sentiment-analysis"})
_TEXT_KEYS = ("inputs", "text_inputs")


def run_pipeline_batch(pipe: Any, requests: list[dict[str, Any]], limits: AnswerLimits | None = None) -> list[Any]:
    """The outputs of several requests, each as :func:`run_pipeline` gives it, or the exception
    that request raised.

    When the task allows it and the requests differ only in their text, the texts go through the
    pipeline as lists of similar lengths (:func:`length_groups`); each request on its own otherwise,
    and when a call on a list fails, so that a bad input fails alone.
    """
    batch = _one_call(pipe.task, requests)
    if batch is not None:
        key, options = batch
        texts = [request[key] for request in requests]
        outputs: list[Any] = [None] * len(texts)
        try:
            options = check_answer_size(options, limits or AnswerLimits())
            for group in length_groups(_token_counts(pipe, texts)):
                for index, output in zip(group, pipe([texts[i] for i in group], batch_size=len(group), **options),
                                         strict=True):
                    outputs[index] = output
        except Exception:  # noqa: BLE001 (which input failed is found below, one by one)
            pass
        else:
            # A single text's answer is a list of its labels (unless top_k is given): the same here.
            return [to_jsonable(output if "top_k" in options else [output]) for output in outputs]
    results: list[Any] = []
    for arguments in requests:
        try:
            results.append(run_pipeline(pipe, arguments, limits))
        except Exception as exc:  # noqa: BLE001 (each request's own failure is its answer)
            results.append(exc)
    return results


#: A sub-batch may pad up to this share of its real tokens (or up to PADDED_FLOOR tokens in all).
PADDING_SLACK = 0.5
PADDED_FLOOR = 512


def length_groups(lengths: list[int]) -> list[list[int]]:
    """Indexes of ``lengths`` in sub-batches of similar length, shortest first.

    A batch is padded to its longest input: 16 reviews of 20 to 512 tokens in one call compute
    several times the tokens 16 single calls do, and two CPU cores gain less than that from larger
    matrix products. So the inputs are sorted by length and cut wherever the next one would pad the
    sub-batch beyond ``PADDING_SLACK`` of its real tokens (short inputs share a call anyway while the
    padded total stays under ``PADDED_FLOOR``)."""
    groups: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        padded = (len(current) + 1) * lengths[index]
        if current and padded > max((1 + PADDING_SLACK) * (tokens + lengths[index]), PADDED_FLOOR):
            groups.append(current)
            current, tokens = [], 0
        current.append(index)
        tokens += lengths[index]
    if current:
        groups.append(current)
    return groups


def _token_counts(pipe: Any, texts: list[str]) -> list[int]:
    """Each text's length in the pipeline's tokens (in characters when it has no tokenizer)."""
    tokenizer = getattr(pipe, "tokenizer", None)
    if tokenizer is None:
        return [len(text) for text in texts]
    return [len(ids) for ids in tokenizer(texts, truncation=True)["input_ids"]]


def _one_call(task: str, requests: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """``(text key, shared options)`` when ``requests`` can go through the pipeline as one list."""
    if task not in BATCHABLE_TASKS or len(requests) < 2:
        return None
    keys = [key for key in _TEXT_KEYS if key in requests[0]]
    if len(keys) != 1:
        return None
    key = keys[0]
    options = {name: value for name, value in requests[0].items() if name != key}
    for request in requests:
        if not isinstance(request.get(key), str) or {n: v for n, v in request.items() if n != key} != options:
            return None
    return key, options
