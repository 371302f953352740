"""A request's keys → today's ``TrainingArguments``: legacy names mapped, unknown names refused,
and the defaults that keep a training quiet, small on disk and fast."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TrainingArgumentsError, TrainRequestError
from .precision import bf16_supported
from .request import REQUEST_KEYS
from .validation import real_number

#: Names transformers 4.x accepted and 5.x renamed: old → new.
RENAMED = {
    "evaluation_strategy": "eval_strategy",
    "no_cuda": "use_cpu",
    "per_gpu_train_batch_size": "per_device_train_batch_size",
    "per_gpu_eval_batch_size": "per_device_eval_batch_size",
    "push_to_hub_model_id": "hub_model_id",
    "push_to_hub_token": "hub_token",
    "torchdynamo": "torch_compile_backend",
}
#: Names 5.x dropped that had no effect worth keeping here; accepted so old requests still run.
OBSOLETE = {
    "overwrite_output_dir": "checkpoints go to a fresh folder anyway",
    "logging_dir": "progress goes to the component's log",
    "save_safetensors": "models are always saved as safetensors",
    "use_mps_device": "the device is chosen automatically",
}
#: Keys that name the tokenizer: the Trainer's ``processing_class``, not a TrainingArguments field.
TOKENIZER_KEYS = ("tokenizer", "processing_class")
#: The seed's batch rule never goes above this.
SEED_BATCH_CAP = 32
#: Our training batch: in one epoch of a few thousand rows the number of optimizer steps decides
#: whether the classifier learns the rare classes (docs/tuning.md measures it against the seed's rule).
TRAIN_BATCH_SIZE = 8


def training_argument_names() -> frozenset[str]:
    """Every field name of the installed ``transformers.TrainingArguments``."""
    from transformers import TrainingArguments

    return frozenset(f.name for f in dataclasses.fields(TrainingArguments) if f.init)


@dataclass(frozen=True)
class MappedArguments:
    """The request's keys under today's names, and what was changed on the way (for the log)."""

    values: dict[str, Any]
    tokenizer: str | None
    notes: tuple[str, ...]


def map_legacy_names(keys: Mapping[str, Any]) -> MappedArguments:
    """Rename legacy keys, drop obsolete ones, set the tokenizer aside; refuse unknown keys.

    ``group_by_length: true`` becomes ``train_sampling_strategy="group_by_length"`` (``false``: ``"random"``).

    Raises:
        TrainingArgumentsError: two keys set one field to different values (an old name and its
            new one, e.g. ``evaluation_strategy`` and ``eval_strategy``); or naming every key that is
            neither a request field, a ``TrainingArguments`` field of this transformers version, nor
            a known legacy name.
    """
    known = training_argument_names()
    values: dict[str, Any] = {}
    given_as: dict[str, str] = {}  # today's name → the request's key that set it
    notes: list[str] = []
    tokenizer: str | None = None
    unknown: list[str] = []

    def put(key: str, field: str, value: Any) -> None:
        if field in values and values[field] != value:
            raise TrainingArgumentsError(
                f"{given_as[field]} and {key} both set {field} (its name in this transformers version), "
                f"to {values[field]!r} and {value!r}: give one of them")
        values[field], given_as[field] = value, key

    # transformers 4: warmup_steps above 0 overrides warmup_ratio; 0 (its default) leaves it the say
    ratio_wins = "warmup_ratio" in keys and not _some_steps(keys.get("warmup_steps", 0))
    for key, value in keys.items():
        if key in TOKENIZER_KEYS:
            if tokenizer is not None and tokenizer != str(value):
                raise TrainingArgumentsError(f"tokenizer and processing_class name different tokenizers "
                                             f"({tokenizer!r} and {str(value)!r}): give one of them")
            tokenizer = str(value)
        elif key == "warmup_steps" and ratio_wins:
            notes.append("warmup_steps=0 ignored: warmup_ratio is given, and applies as in transformers 4")
        elif key == "group_by_length":
            put(key, "train_sampling_strategy", "group_by_length" if value else "random")
            notes.append(f"group_by_length={value} → train_sampling_strategy={values['train_sampling_strategy']!r}")
        elif key == "warmup_ratio":
            share = _warmup_share(value)
            if ratio_wins:
                put(key, "warmup_steps", share)
                notes.append("warmup_ratio → warmup_steps")
            else:
                notes.append("warmup_ratio ignored: warmup_steps is given, and wins as in transformers 4")
        elif key in RENAMED:
            put(key, RENAMED[key], value)
            notes.append(f"{key} → {RENAMED[key]}")
        elif key in OBSOLETE:
            notes.append(f"{key} ignored: no longer a TrainingArguments field ({OBSOLETE[key]})")
        elif key in known:
            put(key, key, value)
        else:
            unknown.append(key)
    if unknown:
        raise TrainingArgumentsError(
            f"unknown TrainingArguments key(s) {', '.join(map(repr, sorted(unknown)))}: not a field of "
            f"transformers.TrainingArguments in this version nor a legacy name of one; the request's own keys "
            f"are {', '.join(REQUEST_KEYS)}")
    return MappedArguments(values=values, tokenizer=tokenizer, notes=tuple(notes))


def _some_steps(value: Any) -> bool:
    """``warmup_steps`` asks for a warmup (anything but 0; a value that is not a number is refused later)."""
    try:
        return real_number("warmup_steps", value) != 0
    except TrainRequestError:
        return True


def _warmup_share(value: Any) -> float:
    """transformers 4's ``warmup_ratio`` as 5.x's ``warmup_steps``, which reads a number below 1 as a
    share of the steps (and 1 or more as a number of steps)."""
    share = real_number("warmup_ratio", value)
    if not 0 <= share < 1:
        raise TrainingArgumentsError(f"warmup_ratio must be from 0 to below 1 (a share of the steps), got {value!r}; "
                                     f"give warmup_steps for a number of steps")
    return share


def seed_batch_size(rows: int) -> int:
    """The seed's rule: the largest divisor of ``rows`` below both its square root and 32 (at least 1)."""
    bound = min(math.sqrt(rows), SEED_BATCH_CAP)
    return max((d for d in range(1, SEED_BATCH_CAP + 1) if d < bound and rows % d == 0), default=1)


def plan_arguments(mapped: Mapping[str, Any], *, rows: int, train_rows: int, seed: int,
                   use_gpu: bool, bf16: bool = True) -> dict[str, Any]:
    """The keyword arguments of ``TrainingArguments`` for this run: the request's values, and ours
    where it gives none (``output_dir`` is left to the caller).

    Ours: training batches of ``TRAIN_BATCH_SIZE`` (evaluation batches by the seed's rule); the
    best checkpoint by the loss on the validation rows when ``selects_best``, else checkpoints off;
    no reporting integrations, no tqdm (progress goes to the event log); length-bucketed batches in
    a random order; bf16 autocast where the hardware has it (``bf16``: False keeps fp32); logging
    and evaluation steps sized to the run.
    """
    args = dict(mapped)
    args.setdefault("per_device_train_batch_size", min(TRAIN_BATCH_SIZE, max(1, train_rows)))
    args.setdefault("per_device_eval_batch_size", seed_batch_size(rows))
    args.setdefault("seed", seed)
    args.setdefault("report_to", "none")
    if args.setdefault("load_best_model_at_end", selects_best(args)):
        _plan_selection(args)
    args.setdefault("save_strategy", "no")
    args.setdefault("disable_tqdm", True)
    # shuffled length buckets (sampling.py): random batches pad reviews to 3.6x their tokens; the
    # choice is measured in docs/tuning.md
    args.setdefault("train_sampling_strategy", "group_by_length")
    args.setdefault("dataloader_pin_memory", use_gpu)
    if "fp16" not in args and "bf16" not in args:
        args["bf16"] = bf16 and bf16_supported(use_gpu)
    if args.get("bf16") and not use_gpu:
        args.setdefault("use_cpu", True)  # transformers runs bf16 autocast on the CPU only when told so
    steps = _total_steps(args, train_rows)
    args.setdefault("logging_strategy", "steps")
    args.setdefault("logging_steps", max(1, min(50, steps // 20)))
    if str(args.get("eval_strategy", "no")) == "steps":
        # transformers would default eval_steps to logging_steps: an evaluation every few steps
        # would cost more than the training; four evaluations show the curve.
        args.setdefault("eval_steps", max(1, math.ceil(steps / 4)))
        if args["load_best_model_at_end"]:
            args.setdefault("save_steps", args["eval_steps"])
    return args


def selects_best(args: Mapping[str, Any]) -> bool:
    """Whether a training keeps its best checkpoint (on validation rows) and stops early: when it
    runs more than one epoch (transformers' default is 3) and evaluates, unless the request says
    ``load_best_model_at_end``. One epoch (the seed's request) keeps the last model, as the seed did."""
    if "load_best_model_at_end" in args:
        return bool(args["load_best_model_at_end"])
    evaluates = str(getattr(args.get("eval_strategy"), "value", args.get("eval_strategy", "epoch"))) != "no"
    return evaluates and float(args.get("num_train_epochs", 3.0)) > 1


def _plan_selection(args: dict[str, Any]) -> None:
    """Evaluate (on the validation rows) every epoch unless asked otherwise, save at each evaluation,
    keep the checkpoint of the lowest validation loss."""
    strategy = str(getattr(args.setdefault("eval_strategy", "epoch"), "value", args["eval_strategy"]))
    args.setdefault("save_strategy", strategy if strategy != "no" else "epoch")
    # the validation loss: smooth where a few validation rows make accuracy and F1 tie for epochs
    args.setdefault("metric_for_best_model", "loss")
    args.setdefault("save_total_limit", 1)


def _total_steps(args: Mapping[str, Any], train_rows: int) -> int:
    max_steps = args.get("max_steps")
    if isinstance(max_steps, int) and max_steps > 0:
        return max_steps
    per_step = int(args["per_device_train_batch_size"]) * int(args.get("gradient_accumulation_steps", 1) or 1)
    epochs = float(args.get("num_train_epochs", 3.0))
    return max(1, math.ceil(math.ceil(train_rows / max(1, per_step)) * epochs))


def build_training_arguments(kwargs: Mapping[str, Any]) -> Any:
    """``TrainingArguments(**kwargs)``.

    Raises:
        TrainingArgumentsError: transformers refuses a value (type, choice, inconsistent options).
    """
    from transformers import TrainingArguments

    try:
        return TrainingArguments(**kwargs)
    except (TypeError, ValueError) as exc:
        raise TrainingArgumentsError(f"TrainingArguments refused the request's values: {exc}") from exc
