"""A TrainRequest from start to finish: check it, read the rows, split, train, measure, save aside.

Every check that can refuse the request (its fields, TrainingArguments names and values, the
table, the columns, the labels, the row count) runs before anything is written to disk. The
training then runs here, or with ``processes`` > 1 under ``torchrun`` (``launcher``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..energy import DEFAULT_COUNTRY, EnergyMeter, EnergyReport
from .advice import advise
from .arguments import build_training_arguments, map_legacy_names, plan_arguments
from .errors import TrainRequestError
from .job import TrainingJob, train_and_save
from .loading import load_classifier
from .model_card import base_model_of, seed_recipe_tokens, write_model_card
from .precision import precision_of
from .report import evaluation_report, write_report
from .request import parse_request
from .sampling import BATCHES_PER_BUCKET
from .training_data import check_enough_rows, encode_labels, hold_out, read_rows, stratified_split
from .validation import TrainingLimits, check_training_values, confine_output_dir

DEFAULT_SEED = 42

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
    processes: int = 1
    #: Why training ended before its planned steps (the time budget); empty when it ran them all.
    stopped_early: str = ""
    #: Per-label scores and confusion matrices of the old and new model on the test rows (``report``).
    report: dict[str, Any] = field(default_factory=dict)
    #: ``bf16``, ``fp16`` or ``fp32``: the autocast the training ran under.
    precision: str = "fp32"
    seed: int = DEFAULT_SEED
    #: Training rows held out to pick the best checkpoint (0: the last model is kept).
    validation_rows: int = 0
    epochs: float = 0.0
    best_step: int | None = None
    #: Tokens computed, and what the seed's recipe would have computed for the same rows and the epochs asked.
    tokens: int = 0
    seed_tokens: int = 0
    #: The model card (``README.md``) written beside the model.
    card: Path | None = None

    @property
    def info(self) -> str:
        learning_rate = self.arguments.get("learning_rate")
        advice = advise(self.old_metrics, self.new_metrics, test_rows=self.test_rows, folder=self.saved_to.name,
                        learning_rate=float(learning_rate) if learning_rate is not None else None)
        return f"{self.stopped_early.capitalize()}. {advice}" if self.stopped_early else advice


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
    #: Classes of the classifier, and other ``from_pretrained`` options (where a run loads the model).
    num_labels: int = 5
    load_options: Mapping[str, Any] = field(default_factory=dict)
    #: Training processes (a request's ``processes`` overrides it); above 1 the run goes to torchrun.
    processes: int = 1
    #: torchrun options for a multi-process run (rendezvous across machines); empty: ``--standalone``.
    launcher_options: tuple[str, ...] = ()
    batches_per_bucket: int = BATCHES_PER_BUCKET
    #: What the model was tuned from, for its card (a hub repo id); empty: ``model_name``.
    base_model: str = ""
    #: bf16 autocast where the hardware has it (a request's ``bf16`` wins); False: fp32.
    bf16: bool = True


_SHOWN_ARGUMENTS = ("per_device_train_batch_size", "per_device_eval_batch_size", "num_train_epochs", "learning_rate",
                    "lr_scheduler_type", "warmup_steps", "weight_decay", "eval_strategy", "train_sampling_strategy",
                    "seed", "output_dir", "save_strategy", "load_best_model_at_end", "metric_for_best_model", "bf16",
                    "fp16")


def train_from_table(engine: Engine, fields: Mapping[str, Any], config: TuningConfig,
                     log: Callable[[str], None] = _logger.info, *, model: Any = None,
                     tokenizer: Any = None) -> TrainingOutcome:
    """Fine-tune the model ``<model_root>/<model_name>`` on the rows a TrainRequest names and save it
    to ``temp-<model_name>``.

    ``model``/``tokenizer``: that model already loaded (the one-process run trains it in place, so the
    caller must not use it afterwards); None: loaded here (or by each rank of a multi-process run).

    Raises:
        TrainRequestError: (and its subclasses) the request cannot be run; nothing was written.
        TrainingProcessError: a rank of a multi-process run failed; nothing was written.
    """
    started = time.perf_counter()
    request = parse_request(fields)
    processes = request.processes or config.processes
    mapped = map_legacy_names(request.training_keys)
    values = check_training_values(mapped.values, config.limits)
    output_dir = confine_output_dir(values.get("output_dir"), config.model_root)
    for note in mapped.notes:
        log(f"TrainingArguments: {note}")
    model_dir = Path(config.model_root) / config.model_name
    tokenizer_dir = model_dir
    if mapped.tokenizer is not None:
        tokenizer_dir, tokenizer = _load_tokenizer(mapped.tokenizer, config.model_root)
    data = read_rows(engine, request.data)
    if data.skipped_nulls:
        log(f"{data.skipped_nulls} row(s) with an empty label or text skipped")
    model_config = model.config if model is not None else _model_config(model_dir, config)
    num_labels = int(model_config.num_labels)
    check_enough_rows(len(data.texts), num_labels)
    labels, label_map = encode_labels(data.labels, num_labels, dict(model_config.label2id or {}))
    seed = int(values.get("seed", config.seed))
    train_index, test_index = stratified_split(labels, request.data.p_of_train, seed)

    planned = plan_arguments(values, rows=len(labels), train_rows=len(train_index), seed=seed, use_gpu=_use_gpu(),
                             bf16=config.bf16)
    if "output_dir" in values and str(output_dir) != str(values["output_dir"]):
        log(f"output_dir {values['output_dir']!r}: checkpoints would go to {output_dir}")
    planned["output_dir"] = str(output_dir)
    arguments = build_training_arguments(planned)  # refuses bad values before anything is written
    validation_index: list[int] = []
    if arguments.load_best_model_at_end:
        train_index, validation_index = hold_out(labels, train_index, seed)
    job = TrainingJob(model_root=str(config.model_root), model_name=config.model_name, num_labels=num_labels,
                      texts=data.texts, labels=labels, train_index=train_index, test_index=test_index,
                      arguments=planned, label2id=label_map.label2id, tokenizer_dir=str(tokenizer_dir),
                      load_options=dict(config.load_options), progress_every_s=config.progress_every_s,
                      batches_per_bucket=config.batches_per_bucket,
                      max_train_seconds=config.limits.max_train_seconds, class_weights=request.class_weights,
                      validation_index=validation_index, keep_checkpoints="save_strategy" in values)
    log(f"training {config.model_name} on {len(labels)} rows of {request.data.table} "
        f"({len(train_index)} train, " + (f"{len(validation_index)} validation, " if validation_index else "")
        + f"{len(test_index)} test, seed {seed}), "
        f"batch size {arguments.per_device_train_batch_size}, {arguments.num_train_epochs} epoch(s), "
        f"{precision_of(planned)}"
        + (f", {processes} processes" if processes > 1 else ""))

    with EnergyMeter(config.country_iso_code, enabled=config.measure_energy) as meter:
        if processes > 1:
            from .launcher import run_distributed

            trained = run_distributed(job, processes, log, config.launcher_options)
        else:
            if model is None:
                model, loaded_tokenizer = load_classifier(model_dir, config.num_labels, dict(config.load_options))
                tokenizer = tokenizer or loaded_tokenizer
            trained = train_and_save(job, model, tokenizer, log)
    log(f"energy: {meter.report.summary()}")
    shown = {name: _plain(getattr(arguments, name)) for name in _SHOWN_ARGUMENTS} | {
        "class_weights": request.class_weights}
    seed_epochs = trained.epochs if arguments.max_steps > 0 else float(arguments.num_train_epochs)
    outcome = TrainingOutcome(
        old_metrics=trained.old_metrics, new_metrics=trained.new_metrics, rows=len(labels),
        train_rows=len(train_index) + len(validation_index), test_rows=len(test_index),
        duration_s=round(time.perf_counter() - started, 3), energy=meter.report, saved_to=trained.saved_to,
        label2id=label_map.label2id, arguments=shown, processes=processes, stopped_early=trained.stopped_early,
        report=evaluation_report(label_map.label2id, trained.old_confusion, trained.new_confusion),
        precision=precision_of(planned), seed=seed, validation_rows=len(validation_index), epochs=trained.epochs,
        best_step=trained.best_step, tokens=trained.tokens,
        seed_tokens=seed_recipe_tokens(len(train_index) + len(validation_index), len(test_index), seed_epochs))
    write_report(trained.saved_to, outcome.report)
    base_model = base_model_of(model_dir, config.base_model or config.model_name)
    outcome.card = write_model_card(trained.saved_to, outcome, base_model=base_model, table=request.data.table)
    return outcome


def _use_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def _model_config(model_dir: Path, config: TuningConfig) -> Any:
    """The model's config (labels), without loading its weights."""
    from transformers import AutoConfig

    from ..pipelines import ModelLoadError

    try:
        return AutoConfig.from_pretrained(model_dir, num_labels=config.num_labels)
    except Exception as exc:
        raise ModelLoadError(f"could not read the model's config in {model_dir}: {exc}") from exc


def _plain(value: Any) -> Any:
    """Enum members (``IntervalStrategy.STEPS``) as their value, for JSON."""
    return getattr(value, "value", value)


def _load_tokenizer(name: str, model_root: Path) -> tuple[Path, Any]:
    """The tokenizer a request names, and its folder: a folder under the model path, or a path."""
    from transformers import AutoTokenizer

    candidate = Path(model_root) / name
    source = candidate if candidate.is_dir() else Path(name)
    if not source.is_dir():
        raise TrainRequestError(f"tokenizer {name!r}: no folder {candidate} (tokenizers load from the model path)")
    try:
        return source, AutoTokenizer.from_pretrained(source)
    except Exception as exc:
        raise TrainRequestError(f"tokenizer {name!r} could not be loaded from {source}: {exc}") from exc
