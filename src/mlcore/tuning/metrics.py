"""Classification metrics of an evaluation: accuracy, weighted precision and F1, macro F1, and the loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: The metrics a TrainResponse reports, in this order.
REPORTED = ("accuracy", "precision", "f1", "f1_macro", "loss")
#: The evaluation's confusion matrix (a list of rows), beside the reported figures.
CONFUSION = "confusion_matrix"


def compute_metrics(prediction: Any) -> dict[str, float]:
    """``compute_metrics`` for the Trainer: argmax of the logits against the labels.

    Weighted averages, as the seed reported, and the macro F1 (every class counts the same: a model
    that only answers the most frequent star scores high weighted figures, not a high macro F1); a
    class never predicted counts as precision 0 instead of raising a warning on every early evaluation.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score

    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    predicted = np.argmax(logits, axis=-1)
    labels = prediction.label_ids
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, average="weighted", zero_division=0)),
        "f1": float(f1_score(labels, predicted, average="weighted", zero_division=0)),
        "f1_macro": float(f1_score(labels, predicted, average="macro", zero_division=0)),
        # rows: true class, columns: predicted class, every class of the head (absent ones too)
        CONFUSION: confusion_matrix(labels, predicted, labels=range(logits.shape[-1])).tolist(),
    }


def reported(evaluation: Mapping[str, Any], prefix: str = "eval_") -> dict[str, float]:
    """The reported metrics of ``Trainer.evaluate()``'s dict, without the ``eval_`` prefix."""
    return {name: round(float(evaluation[prefix + name]), 6) for name in REPORTED if prefix + name in evaluation}


def class_scores(confusion: list[list[int]]) -> dict[str, list[float] | list[int]]:
    """Per-class precision, recall, F1, true rows (support) and predicted rows of a confusion matrix
    (rows: true class, columns: predicted class); a class never predicted or never present scores 0."""
    matrix = np.asarray(confusion, dtype=float)
    hits, support, predicted = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(hits), where=total > 0)
    return {"precision": [round(float(v), 4) for v in precision], "recall": [round(float(v), 4) for v in recall],
            "f1": [round(float(v), 4) for v in f1], "support": [int(v) for v in support],
            "predicted": [int(v) for v in predicted]}
