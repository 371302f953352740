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


@dataclass
class TrainingResult:
    old_metrics: dict[str, float]
    new_metrics: dict[str, float]
    model: Any
    train_seconds: float
    #: Confusion matrices (rows: true class, columns: predicted) on the test rows.
    old_confusion: list[list[int]]
    new_confusion: list[list[int]]


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
              class_weights: Sequence[float] | None = None) -> TrainingResult:
    """Evaluate ``model``, train it in place, evaluate it again.

    Args:
        arguments: a ``TrainingArguments``; its ``output_dir`` is replaced by a temporary folder
            when no checkpoints are to be saved (the Trainer creates the folder regardless).
        collator: defaults to dynamic padding (``DataCollatorWithPadding``).
        callbacks: more ``TrainerCallback``s (the time budget).
        class_weights: one loss weight per class (``balanced_weights``); None: the model's own loss.
    """
    from transformers import DataCollatorWithPadding, PrinterCallback, ProgressCallback

    trainer_class = length_bucket_trainer([len(row["input_ids"]) for row in train_rows], batches_per_bucket)
    padding = collator or DataCollatorWithPadding(tokenizer, pad_to_multiple_of=_multiple())
    with _scratch_output_dir(arguments):
        trainer = trainer_class(model=model, args=arguments, train_dataset=list(train_rows),
                                eval_dataset=list(test_rows), processing_class=tokenizer,
                                data_collator=padding,
                                compute_metrics=compute_metrics,
                                compute_loss_func=_weighted_loss(class_weights) if class_weights else None,
                                callbacks=[ProgressLogger(log, every_s=progress_every_s), *callbacks])
        # our ProgressLogger writes to the event log; the Trainer's printers would write to stdout
        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        old = trainer.evaluate()
        started = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - started
        new = trainer.evaluate()
    return TrainingResult(old_metrics=reported(old), new_metrics=reported(new), model=trainer.model,
                          train_seconds=train_seconds, old_confusion=old["eval_" + CONFUSION],
                          new_confusion=new["eval_" + CONFUSION])


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
def _scratch_output_dir(arguments: Any) -> Iterator[None]:
    """Point ``arguments.output_dir`` at a temporary folder while no checkpoint is saved."""
    if str(getattr(arguments.save_strategy, "value", arguments.save_strategy)) != "no":
        yield
        return
    original = arguments.output_dir
    with tempfile.TemporaryDirectory(prefix="tuning-") as scratch:
        arguments.output_dir = scratch
        try:
            yield
        finally:
            arguments.output_dir = original
