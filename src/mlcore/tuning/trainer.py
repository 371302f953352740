"""One fine-tuning run: tokenize, evaluate the old model, train, evaluate the new one.

Efficiency, against the seed's recipe (each row tokenized on its own and padded to 512 tokens):
all rows are tokenized once, in one batched call, with truncation only; ``DataCollatorWithPadding``
pads each batch to its longest row; training batches are grouped by length (in shuffled buckets,
``sampling``) so that rows of a batch have similar lengths; the test rows are sorted by length.
The model then computes on the tokens that exist instead of on padding, which is most of a
512-token row for reviews. The model is trained in place: no copy of its weights is made.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .metrics import CONFUSION, compute_metrics, reported
from .progress import ProgressLogger
from .sampling import BATCHES_PER_BUCKET, length_bucket_trainer

#: Above this, BERT-family position embeddings run out.
MAX_TOKENS = 512


#: Evaluations on the validation rows without a better ``metric_for_best_model`` before a training stops.
EARLY_STOPPING_PATIENCE = 3


@dataclass
class TrainingResult:
    old_metrics: dict[str, float]
    new_metrics: dict[str, float]
    model: Any
    train_seconds: float
    #: Confusion matrices (rows: true class, columns: predicted) on the test rows.
    old_confusion: list[list[int]]
    new_confusion: list[list[int]]
    #: Epochs trained (less than planned when stopped early) and the tokens the model computed on
    #: (training batches as padded, every evaluation's batches as padded).
    epochs: float = 0.0
    tokens: int = 0
    #: The step of the checkpoint kept (best on the validation rows); None: the last model.
    best_step: int | None = None


def max_tokens(tokenizer: Any, model: Any) -> int:
    """The longest input the model takes: tokenizer limit, position embeddings and 512, whichever is least."""
    limits = [MAX_TOKENS, getattr(tokenizer, "model_max_length", MAX_TOKENS) or MAX_TOKENS]
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return int(min(limits))


def tokenize_rows(tokenizer: Any, texts: Sequence[str], labels: Sequence[int], max_length: int) -> list[dict[str, Any]]:
    """One dict per row (``input_ids``, ``attention_mask``..., ``labels``), tokenized in one batched call
    without padding (the collator pads each batch). A plain list: the Trainer takes it as it is, and
    ``datasets`` (seconds to import) is not needed."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    names = list(encoded.keys())
    return [{name: encoded[name][i] for name in names} | {"labels": int(labels[i])} for i in range(len(texts))]


def by_length(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows shortest first: evaluation batches then carry almost no padding."""
    return sorted(rows, key=lambda row: len(row["input_ids"]))


def fine_tune(model: Any, tokenizer: Any, train_rows: Sequence[dict[str, Any]], test_rows: Sequence[dict[str, Any]],
              arguments: Any, log: Callable[[str], None], *, progress_every_s: float = 5.0, collator: Any = None,
              batches_per_bucket: int = BATCHES_PER_BUCKET, callbacks: Sequence[Any] = (),
              class_weights: Sequence[float] | None = None, validation_rows: Sequence[dict[str, Any]] = (),
              keep_checkpoints: bool = False) -> TrainingResult:
    """Evaluate ``model`` on the test rows, train it in place, evaluate it again.

    Args:
        arguments: a ``TrainingArguments``. With ``load_best_model_at_end`` the evaluations during
            training run on ``validation_rows`` (never the test rows), the best checkpoint is kept and
            training stops after ``EARLY_STOPPING_PATIENCE`` evaluations without improvement.
        collator: defaults to dynamic padding (``DataCollatorWithPadding``).
        callbacks: more ``TrainerCallback``s (the time budget).
        class_weights: one loss weight per class (``balanced_weights``); None: the model's own loss.
        keep_checkpoints: False: checkpoints go to a temporary folder, deleted at the end, instead of
            ``arguments.output_dir``.
    """
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, PrinterCallback, ProgressCallback

    trainer_class = length_bucket_trainer([len(row["input_ids"]) for row in train_rows], batches_per_bucket)
    padding = collator or DataCollatorWithPadding(tokenizer, pad_to_multiple_of=_multiple())
    selecting = bool(arguments.load_best_model_at_end)
    stopping = [EarlyStoppingCallback(EARLY_STOPPING_PATIENCE)] if selecting else []
    with _scratch_output_dir(arguments, keep_checkpoints), quiet_progress_bars():
        trainer = trainer_class(model=model, args=arguments, train_dataset=list(train_rows),
                                eval_dataset=list(validation_rows) if selecting else list(test_rows),
                                processing_class=tokenizer, data_collator=padding, compute_metrics=compute_metrics,
                                compute_loss_func=_weighted_loss(class_weights) if class_weights else None,
                                callbacks=[ProgressLogger(log, every_s=progress_every_s), *stopping, *callbacks])
        # our ProgressLogger writes to the event log; the Trainer's printers would write to stdout
        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        old = trainer.evaluate(list(test_rows))
        started = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - started
        new = trainer.evaluate(list(test_rows))
    state = trainer.state
    evaluated = sum(1 for entry in state.log_history if "eval_loss" in entry) - 1  # during training
    tokens = (padded_tokens(train_rows, arguments.per_device_train_batch_size) * state.epoch
              + padded_tokens(test_rows, arguments.per_device_eval_batch_size) * 2
              + padded_tokens(validation_rows, arguments.per_device_eval_batch_size) * max(0, evaluated))
    best_step = _step_of(state.best_model_checkpoint) if selecting else None
    if best_step is not None:
        log(f"kept the checkpoint of step {best_step} (best {arguments.metric_for_best_model} "
            f"{state.best_metric:.4f} on {len(validation_rows)} validation rows) of {state.global_step} steps")
    return TrainingResult(old_metrics=reported(old), new_metrics=reported(new), model=trainer.model,
                          train_seconds=train_seconds, old_confusion=old["eval_" + CONFUSION],
                          new_confusion=new["eval_" + CONFUSION], epochs=float(state.epoch or 0.0),
                          tokens=int(tokens), best_step=best_step)


def padded_tokens(rows: Sequence[dict[str, Any]], batch_size: int) -> int:
    """Tokens one pass over ``rows`` computes in batches of ``batch_size`` padded to their longest row,
    rows taken shortest first (as the test rows are; training buckets come close to it)."""
    lengths = sorted(len(row["input_ids"]) for row in rows)
    return sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size])
               for i in range(0, len(lengths), max(1, batch_size)))


def _step_of(checkpoint: str | None) -> int | None:
    """The step of a ``checkpoint-<step>`` folder."""
    number = str(checkpoint or "").rstrip("/").rpartition("-")[2]
    return int(number) if number.isdigit() else None


def balanced_weights(rows: Sequence[dict[str, Any]], num_labels: int) -> list[float]:
    """scikit-learn's "balanced" class weights of the rows' labels: rows / (classes present x rows of
    the class); a class absent from the rows weighs 1."""
    counts = [0] * num_labels
    for row in rows:
        counts[row["labels"]] += 1
    present = sum(1 for count in counts if count)
    return [len(rows) / (present * count) if count else 1.0 for count in counts]


def _weighted_loss(weights: Sequence[float]) -> Callable[..., Any]:
    """A ``compute_loss_func``: cross-entropy with a weight per class (a mean per batch)."""
    import torch

    weight = torch.tensor(list(weights), dtype=torch.float32)

    def loss(outputs: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
        logits = outputs["logits"].float()
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                                 weight=weight.to(logits.device))

    return loss


def _multiple() -> int | None:
    """Pad to a multiple of 8 on a GPU (tensor cores); on CPU it would only add padding."""
    import torch

    return 8 if torch.cuda.is_available() else None


@contextlib.contextmanager
def quiet_progress_bars() -> Iterator[None]:
    """No tqdm bar (saving a checkpoint or a model draws one) on the worker's stderr: progress goes
    to the event log."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


@contextlib.contextmanager
def _scratch_output_dir(arguments: Any, keep_checkpoints: bool) -> Iterator[None]:
    """Point ``arguments.output_dir`` at a temporary folder unless checkpoints are to be kept there
    (the Trainer creates the folder, and the best-model selection saves checkpoints, regardless)."""
    if keep_checkpoints and str(getattr(arguments.save_strategy, "value", arguments.save_strategy)) != "no":
        yield
        return
    original = arguments.output_dir
    with tempfile.TemporaryDirectory(prefix="tuning-") as scratch:
        arguments.output_dir = scratch
        try:
            yield
        finally:
            arguments.output_dir = original
