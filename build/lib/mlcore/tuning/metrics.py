"""Classification metrics of an evaluation: accuracy, weighted precision and F1, macro F1, and the loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: The metrics a TrainResponse reports, in this order.
REPORTED = ("accuracy", "precision", "f1", "f1_macro", "loss")


def compute_metrics(prediction: Any) -> dict[str, float]:
    """``compute_metrics`` for the Trainer: argmax of the logits against the labels.

    Weighted averages, as the seed reported, and the macro F1 (every class counts the same: a model
    that only answers the most frequent star scores high weighted figures, not a high macro F1); a
    class never predicted counts as precision 0 instead of raising a warning on every early evaluation.
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_score

    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    predicted = np.argmax(logits, axis=-1)
    labels = prediction.label_ids
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, average="weighted", zero_division=0)),
        "f1": float(f1_score(labels, predicted, average="weighted", zero_division=0)),
        "f1_macro": float(f1_score(labels, predicted, average="macro", zero_division=0)),
    }


def reported(evaluation: Mapping[str, Any], prefix: str = "eval_") -> dict[str, float]:
    """The reported metrics of ``Trainer.evaluate()``'s dict, without the ``eval_`` prefix."""
    return {name: round(float(evaluation[prefix + name]), 6) for name in REPORTED if prefix + name in evaluation}
