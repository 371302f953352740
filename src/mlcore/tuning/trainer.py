"""One fine-tuning run: tokenize, evaluate the old model, train, evaluate the new one.

Efficiency, against the seed's recipe (each row tokenized on its own and padded to 512 tokens):
texts are tokenized in batches by ``datasets.map`` with truncation only; ``DataCollatorWithPadding``
pads each batch to its longest row; training batches are grouped by length (in shuffled buckets,
``sampling``) so that rows of a batch have similar lengths; the test rows are sorted by length.
The model then computes on the tokens that exist instead of on padding, which is most of a
512-token row for reviews.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .metrics import compute_metrics, reported
from .progress import ProgressLogger
from .sampling import length_bucket_trainer

#: Above this, BERT-family position embeddings run out.
MAX_TOKENS = 512


@dataclass
class TrainingResult:
    old_metrics: dict[str, float]
    new_metrics: dict[str, float]
    model: Any
    train_seconds: float


def max_tokens(tokenizer: Any, model: Any) -> int:
    """The longest input the model takes: tokenizer limit, position embeddings and 512, whichever is least."""
    limits = [MAX_TOKENS, getattr(tokenizer, "model_max_length", MAX_TOKENS) or MAX_TOKENS]
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return int(min(limits))


def tokenized_dataset(tokenizer: Any, texts: Sequence[str], labels: Sequence[int], max_length: int,
                      *, sort_by_length: bool = False) -> Any:
    """A ``datasets.Dataset`` of ``input_ids``/``attention_mask``/``labels``/``length``, tokenized in batches
    without padding (the collator pads each batch)."""
    import datasets

    datasets.disable_progress_bars()
    raw = datasets.Dataset.from_dict({"text": list(texts), "labels": list(labels)})

    def encode(batch: dict[str, list]) -> dict[str, list]:
        encoded = tokenizer(batch["text"], truncation=True, max_length=max_length)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    dataset = raw.map(encode, batched=True, batch_size=1000, remove_columns=["text"])
    if not sort_by_length:
        return dataset
    return dataset.select(sorted(range(len(dataset)), key=dataset["length"].__getitem__))


def fine_tune(model: Any, tokenizer: Any, train_dataset: Any, test_dataset: Any, arguments: Any,
              log: Callable[[str], None], *, progress_every_s: float = 5.0, collator: Any = None,
              callbacks: Sequence[Any] = ()) -> TrainingResult:
    """Evaluate ``model``, train a copy of it, evaluate the copy. ``model`` itself is not changed.

    Args:
        arguments: a ``TrainingArguments``; its ``output_dir`` is replaced by a temporary folder
            when no checkpoints are to be saved (the Trainer creates the folder regardless).
        collator: defaults to dynamic padding (``DataCollatorWithPadding``).
        callbacks: more ``TrainerCallback``s (the time budget).
    """
    from transformers import DataCollatorWithPadding, PrinterCallback, ProgressCallback

    candidate = copy.deepcopy(model)
    progress = ProgressLogger(log, every_s=progress_every_s)
    trainer_class = length_bucket_trainer(train_dataset["length"])
    with _scratch_output_dir(arguments):
        trainer = trainer_class(model=candidate, args=arguments, train_dataset=train_dataset, eval_dataset=test_dataset,
                          processing_class=tokenizer,
                          data_collator=collator or DataCollatorWithPadding(tokenizer, pad_to_multiple_of=_multiple()),
                          compute_metrics=compute_metrics, callbacks=[progress, *callbacks])
        # our ProgressLogger writes to the event log; the Trainer's printers would write to stdout
        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        old = reported(trainer.evaluate())
        started = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - started
        new = reported(trainer.evaluate())
    return TrainingResult(old_metrics=old, new_metrics=new, model=trainer.model, train_seconds=train_seconds)


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
