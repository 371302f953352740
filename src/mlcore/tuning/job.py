"""A checked training in plain values, and the one code path that trains and saves it.

The TuningOperation's process runs it itself, or, with several processes, hands it as JSON to
the ranks of a ``torchrun`` launch (``distributed``), which run the same code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .arguments import build_training_arguments
from .budget import TimeBudget
from .model_versions import save_temporary
from .request import CLASS_WEIGHTS
from .sampling import BATCHES_PER_BUCKET
from .trainer import balanced_weights, by_length, fine_tune, max_tokens, quiet_progress_bars, tokenize_rows
from .training_data import LabelMap
from .validation import TrainingLimits


@dataclass
class TrainingJob:
    """What a training needs once the request was checked: rows, split, arguments, where to save."""

    model_root: str
    model_name: str
    num_labels: int
    texts: list[str]
    labels: list[int]
    train_index: list[int]
    test_index: list[int]
    #: Keyword arguments of ``TrainingArguments``.
    arguments: dict[str, Any]
    label2id: dict[str, int]
    #: The folder the tokenizer loads from (the model's own, or the request's ``tokenizer``).
    tokenizer_dir: str
    #: Keyword arguments of ``from_pretrained`` (the TuningOperation's other settings).
    load_options: dict[str, Any] = field(default_factory=dict)
    progress_every_s: float = 5.0
    batches_per_bucket: int = BATCHES_PER_BUCKET
    max_train_seconds: float = TrainingLimits.max_train_seconds
    class_weights: bool = CLASS_WEIGHTS
    #: Rows held out of the training rows to pick the best checkpoint (when the arguments select one).
    validation_index: list[int] = field(default_factory=list)
    #: The request named ``save_strategy``: its checkpoints stay in ``output_dir``.
    keep_checkpoints: bool = False

    @property
    def model_dir(self) -> Path:
        return Path(self.model_root) / self.model_name

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> TrainingJob:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Trained:
    """What a training gives back (also as JSON, from rank 0 of a multi-process run)."""

    old_metrics: dict[str, float]
    new_metrics: dict[str, float]
    #: ``temp-<model_name>``; None on the ranks that do not save.
    saved_to: Path | None
    #: Why training ended before its planned steps (the time budget); empty when it ran them all.
    stopped_early: str = ""
    #: Confusion matrices of the old and the new model on the test rows.
    old_confusion: list[list[int]] = field(default_factory=list)
    new_confusion: list[list[int]] = field(default_factory=list)
    #: Epochs trained, tokens computed, the step of the checkpoint kept (``TrainingResult``).
    epochs: float = 0.0
    tokens: int = 0
    best_step: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"saved_to": str(self.saved_to)})

    @classmethod
    def from_json(cls, text: str) -> Trained:
        values = json.loads(text)
        return cls(**values | {"saved_to": Path(values["saved_to"])})


def train_and_save(job: TrainingJob, model: Any, tokenizer: Any, log: Callable[[str], None], *,
                   save: bool = True) -> Trained:
    """Tokenize every row once, evaluate, train ``model`` in place (within the time budget), evaluate,
    and (``save``) write it to ``temp-<model_name>``."""
    rows = tokenize_rows(tokenizer, job.texts, job.labels, max_tokens(tokenizer, model))
    train_rows = [rows[i] for i in job.train_index]
    test_rows = by_length([rows[i] for i in job.test_index])
    validation_rows = by_length([rows[i] for i in job.validation_index])
    arguments = build_training_arguments(job.arguments)
    budget = TimeBudget(job.max_train_seconds)
    result = fine_tune(model, tokenizer, train_rows, test_rows, arguments, log, progress_every_s=job.progress_every_s,
                       batches_per_bucket=job.batches_per_bucket, callbacks=(budget,),
                       class_weights=balanced_weights(train_rows, job.num_labels) if job.class_weights else None,
                       validation_rows=validation_rows, keep_checkpoints=job.keep_checkpoints)
    if budget.stopped:
        log(budget.stopped)
    result.model.config.id2label, result.model.config.label2id = LabelMap(job.label2id).for_config(job.num_labels)
    trained = Trained(result.old_metrics, result.new_metrics, None, budget.stopped, result.old_confusion,
                      result.new_confusion, result.epochs, result.tokens, result.best_step)
    if not save:
        return trained

    def write(folder: Path) -> None:
        with quiet_progress_bars():
            result.model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)

    trained.saved_to = save_temporary(Path(job.model_root), job.model_name, write)
    return trained
