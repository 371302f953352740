"""A TrainRequest's values checked before anything runs: their types, their bounds, where files may go.

JSON gives numbers, strings and booleans; ``TrainingArguments`` would take ``"abc"`` as a learning rate
and fail at the first step, or train 1e9 epochs. Each value of a numeric or boolean field is checked
against the field's declared type, then against the bounds that keep a request from holding the
operation for days; the error names the field and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from .. import bounds
from ..layout import CHECKPOINTS_DIR
from .errors import TrainRequestError

#: Where the seed's container keeps the model folder; its paths map onto the model path here.
SEED_MODEL_ROOT = PurePosixPath("/irisdev/app/src/model")
#: SQLite and most databases take a LIMIT up to a signed 64-bit integer; no table here is near it.
MAX_ROWS = 2**31 - 1
#: numpy's seed range.
MAX_SEED = 2**32 - 1

#: Fields that must be above zero, and fields that must not be below zero.
_POSITIVE = frozenset({"learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size",
                       "gradient_accumulation_steps", "logging_steps", "eval_steps", "save_steps",
                       "eval_accumulation_steps", "num_train_epochs"})
_NON_NEGATIVE = frozenset({"weight_decay", "warmup_steps", "max_grad_norm", "adam_epsilon",
                           "dataloader_num_workers", "label_smoothing_factor", "seed", "data_seed"})


@dataclass(frozen=True)
class TrainingLimits:
    """Bounds of one training request (the TuningOperation's ``max_epochs``, ``max_steps`` and
    ``max_train_seconds`` settings)."""

    max_epochs: float = 100.0
    max_steps: int = 100_000
    #: Wall time of the training loop; past it the training stops and the response says so.
    max_train_seconds: float = 4 * 3600.0


def whole_number(name: str, value: Any, *, minimum: int = 1, maximum: int = MAX_ROWS) -> int:
    """``value`` as an int in ``[minimum, maximum]`` (see :func:`mlcore.bounds.whole_number`).

    Raises:
        TrainRequestError: naming ``name``, for anything else (``true``, ``"1e3"``, ``1e30``, ``-1``).
    """
    return bounds.whole_number(name, value, minimum=minimum, maximum=maximum, error=TrainRequestError)


def real_number(name: str, value: Any) -> float:
    """``value`` as a finite float: a number (not a boolean) or a numeric string ("0.01").

    Raises:
        TrainRequestError: naming ``name``, for anything else (``"abc"``, ``true``, ``NaN``).
    """
    number = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if not math.isfinite(number):
        raise TrainRequestError(f"{name} must be a number, got {value!r}")
    return number


def boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TrainRequestError(f"{name} must be true or false, got {value!r}")


@lru_cache(maxsize=1)
def _field_kinds() -> dict[str, tuple[type, bool]]:
    """``TrainingArguments`` fields whose type is int, float or bool: ``name → (kind, None allowed)``."""
    from transformers import TrainingArguments

    kinds = {}
    for item in dataclasses.fields(TrainingArguments):
        declared = item.type
        options = typing.get_args(declared) if isinstance(declared, types.UnionType) else (declared,)
        scalar = [option for option in options if option is not type(None)]
        if len(scalar) == 1 and scalar[0] in (int, float, bool):
            kinds[item.name] = (scalar[0], len(scalar) < len(options))
    return kinds


def check_training_values(values: Mapping[str, Any], limits: TrainingLimits) -> dict[str, Any]:
    """``values`` (``TrainingArguments`` keys under today's names) with numbers and booleans checked
    and converted, and the epochs and steps within ``limits``.

    Raises:
        TrainRequestError: naming the first field whose value is of the wrong kind or out of range.
    """
    checked = dict(values)
    kinds = _field_kinds()
    for name, value in values.items():
        kind, optional = kinds.get(name, (None, True))
        if kind is None or (value is None and optional):
            continue
        checked[name] = _typed(name, value, kind)
        _check_sign(name, checked[name])
    epochs = checked.get("num_train_epochs")
    if epochs is not None and epochs > limits.max_epochs:
        raise TrainRequestError(f"num_train_epochs must be at most {limits.max_epochs:g} (the max_epochs setting), "
                                f"got {values['num_train_epochs']!r}")
    steps = checked.get("max_steps")
    if steps is not None and steps != -1 and not 1 <= steps <= limits.max_steps:
        raise TrainRequestError(f"max_steps must be -1 (from the epochs) or from 1 to {limits.max_steps} "
                                f"(the max_steps setting), got {values['max_steps']!r}")
    return checked


def _typed(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        return boolean(name, value)
    if kind is int:
        return whole_number(name, value, minimum=-MAX_ROWS, maximum=MAX_SEED if "seed" in name else MAX_ROWS)
    return real_number(name, value)


def _check_sign(name: str, value: Any) -> None:
    if name in _POSITIVE and not value > 0:
        raise TrainRequestError(f"{name} must be above 0, got {value!r}")
    if name in _NON_NEGATIVE and value < 0:
        raise TrainRequestError(f"{name} must be 0 or more, got {value!r}")


def confine_output_dir(requested: Any, model_root: Path) -> Path:
    """Where checkpoints may go: a folder under ``model_root``.

    A relative folder is taken under ``model_root``; the seed's ``/irisdev/app/src/model/<folder>``
    maps to ``<model_root>/<folder>``; an absolute folder must already be under ``model_root``.

    Raises:
        TrainRequestError: the folder (resolved, ``..`` and links followed) leaves ``model_root``.
    """
    root = Path(model_root).resolve()
    if requested is None or requested == "":
        return root / CHECKPOINTS_DIR
    if not isinstance(requested, str):
        raise TrainRequestError(f"output_dir must be a folder name, got {requested!r}")
    path = PurePosixPath(requested)
    if path.is_relative_to(SEED_MODEL_ROOT) and not root.is_relative_to(Path(str(SEED_MODEL_ROOT))):
        path = path.relative_to(SEED_MODEL_ROOT)
    folder = (root / Path(path).expanduser()).resolve()
    if not folder.is_relative_to(root) or folder == root:
        raise TrainRequestError(f"output_dir must be a folder under the model path {root}, got {requested!r}")
    return folder
