"""A TrainRequest from start to finish: check it, read the rows, split, train, measure, save aside.

Every check that can refuse the request (its fields, TrainingArguments names and values, the
table, the columns, the labels, the row count) runs before anything is written to disk.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..energy import DEFAULT_COUNTRY, EnergyMeter, EnergyReport
from .arguments import build_training_arguments, map_legacy_names, plan_arguments
from .budget import TimeBudget
from .errors import TrainRequestError
from .model_versions import save_temporary
from .request import parse_request
from .trainer import fine_tune, max_tokens, tokenized_dataset
from .training_data import check_enough_rows, encode_labels, read_rows, stratified_split
from .validation import TrainingLimits, check_training_values, confine_output_dir

DEFAULT_SEED = 42
#: What a TrainResponse tells the user to do next.
NEXT_STEP = "New model saved to {folder}: send an OverrideRequest to keep the new model."

_logger = logging.getLogger(__name__)


@dataclass
class TrainingOutcome:
    """Everything a TrainResponse reports."""

    old_metrics: dict[str, float]
    new_metrics: dict[str, float]
    rows: int
    train_rows: int
    test_rows: int
    duration_s: float
    energy: EnergyReport
    saved_to: Path
    label2id: dict[str, int]
    #: The TrainingArguments values that matter to a reader (batch sizes, epochs, learning rate...).
    arguments: dict[str, Any] = field(default_factory=dict)
    #: Why training ended before its planned steps (the time budget); empty when it ran them all.
    stopped_early: str = ""

    @property
    def info(self) -> str:
        step = NEXT_STEP.format(folder=self.saved_to.name)
        return f"{self.stopped_early.capitalize()}. {step}" if self.stopped_early else step


@dataclass(frozen=True)
class TuningConfig:
    """The TuningOperation's settings that shape a run."""

    model_root: Path
    model_name: str
    seed: int = DEFAULT_SEED
    country_iso_code: str = DEFAULT_COUNTRY
    measure_energy: bool = True
    progress_every_s: float = 5.0
    limits: TrainingLimits = field(default_factory=TrainingLimits)


_SHOWN_ARGUMENTS = ("per_device_train_batch_size", "per_device_eval_batch_size", "num_train_epochs", "learning_rate",
                    "eval_strategy", "train_sampling_strategy", "seed", "output_dir", "save_strategy", "bf16", "fp16")


def train_from_table(engine: Engine, model: Any, tokenizer: Any, fields: Mapping[str, Any], config: TuningConfig,
                     log: Callable[[str], None] = _logger.info) -> TrainingOutcome:
    """Fine-tune a copy of ``model`` on the rows a TrainRequest names and save it to ``temp-<model_name>``.

    ``model`` (the one in use) is left as it is.

    Raises:
        TrainRequestError: (and its subclasses) the request cannot be run; nothing was written.
    """
    import torch

    started = time.perf_counter()
    request = parse_request(fields)
    mapped = map_legacy_names(request.training_keys)
    values = check_training_values(mapped.values, config.limits)
    output_dir = confine_output_dir(values.get("output_dir"), config.model_root)
    for note in mapped.notes:
        log(f"TrainingArguments: {note}")
    if mapped.tokenizer is not None:
        tokenizer = _load_tokenizer(mapped.tokenizer, config.model_root)
    data = read_rows(engine, request.data)
    if data.skipped_nulls:
        log(f"{data.skipped_nulls} row(s) with an empty label or text skipped")
    num_labels = int(model.config.num_labels)
    check_enough_rows(len(data.texts), num_labels)
    labels, label_map = encode_labels(data.labels, num_labels, dict(model.config.label2id or {}))
    seed = int(values.get("seed", config.seed))
    train_index, test_index = stratified_split(labels, request.data.p_of_train, seed)

    planned = plan_arguments(values, rows=len(labels), train_rows=len(train_index), seed=seed,
                             use_gpu=torch.cuda.is_available())
    if "output_dir" in values and str(output_dir) != str(values["output_dir"]):
        log(f"output_dir {values['output_dir']!r}: checkpoints would go to {output_dir}")
    planned["output_dir"] = str(output_dir)
    arguments = build_training_arguments(planned)
    log(f"training {config.model_name} on {len(labels)} rows of {request.data.table} "
        f"({len(train_index)} train, {len(test_index)} test, seed {seed}), "
        f"batch size {arguments.per_device_train_batch_size}, {arguments.num_train_epochs} epoch(s)")

    with EnergyMeter(config.country_iso_code, enabled=config.measure_energy) as meter:
        length = max_tokens(tokenizer, model)
        train_set = tokenized_dataset(tokenizer, [data.texts[i] for i in train_index],
                                      [labels[i] for i in train_index], length)
        test_set = tokenized_dataset(tokenizer, [data.texts[i] for i in test_index],
                                     [labels[i] for i in test_index], length, sort_by_length=True)
        budget = TimeBudget(config.limits.max_train_seconds)
        result = fine_tune(model, tokenizer, train_set, test_set, arguments, log,
                           progress_every_s=config.progress_every_s, callbacks=(budget,))
        if budget.stopped:
            log(budget.stopped)
        id2label, label2id = label_map.for_config(num_labels)
        result.model.config.id2label = id2label
        result.model.config.label2id = label2id

        def write(folder: Path) -> None:
            with _quiet_progress_bars():
                result.model.save_pretrained(folder)
                tokenizer.save_pretrained(folder)

        saved_to = save_temporary(config.model_root, config.model_name, write)
    log(f"energy: {meter.report.summary()}")
    shown = {name: _plain(getattr(arguments, name)) for name in _SHOWN_ARGUMENTS}
    return TrainingOutcome(old_metrics=result.old_metrics, new_metrics=result.new_metrics, rows=len(labels),
                           train_rows=len(train_index), test_rows=len(test_index),
                           duration_s=round(time.perf_counter() - started, 3), energy=meter.report,
                           saved_to=saved_to, label2id=label_map.label2id, arguments=shown,
                           stopped_early=budget.stopped)


@contextlib.contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    """No tqdm bar on the worker's stderr while saving: progress goes to the event log."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


def _plain(value: Any) -> Any:
    """Enum members (``IntervalStrategy.STEPS``) as their value, for JSON."""
    return getattr(value, "value", value)


def _load_tokenizer(name: str, model_root: Path) -> Any:
    """The tokenizer a request names: a folder under the model path, or a path."""
    from transformers import AutoTokenizer

    candidate = Path(model_root) / name
    source = candidate if candidate.is_dir() else Path(name)
    if not source.is_dir():
        raise TrainRequestError(f"tokenizer {name!r}: no folder {candidate} (tokenizers load from the model path)")
    try:
        return AutoTokenizer.from_pretrained(source)
    except Exception as exc:
        raise TrainRequestError(f"tokenizer {name!r} could not be loaded from {source}: {exc}") from exc
