"""What a TrainResponse advises: keep the new model only when it scored better on the test rows."""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Fine-tuning a BERT-type model above this learning rate usually unlearns more than it learns.
HIGH_LEARNING_RATE = 1e-3


def new_is_better(old: Mapping[str, float], new: Mapping[str, float]) -> bool:
    """Accuracy decides; on a tie the macro F1, then the lower loss."""
    def key(metrics: Mapping[str, float]) -> tuple[float, float, float]:
        return (metrics.get("accuracy", 0.0), metrics.get("f1_macro", 0.0), -metrics.get("loss", float("inf")))

    return key(new) > key(old)


def chance_margin(old_accuracy: float, new_accuracy: float, test_rows: int) -> float:
    """The accuracy difference that ``test_rows`` rows can tell from chance (two standard errors
    of an accuracy measured on them, at the two models' mean accuracy)."""
    rows = max(test_rows, 1)
    p = min(max((old_accuracy + new_accuracy) / 2, 1 / rows), 1 - 1 / rows) if rows > 1 else 0.5
    return 2 * math.sqrt(p * (1 - p) / rows)


def advise(old: Mapping[str, float], new: Mapping[str, float], *, test_rows: int, folder: str,
           learning_rate: float | None) -> str:
    """The ``info`` of a TrainResponse: which model scored better on the test rows and what to do;
    when the accuracies differ by less than the test rows can tell apart, it says so (the seed's
    request, 20 rows with ``p_of_train`` 0.8, tests on 4 rows: one row is 0.25 of accuracy)."""
    old_accuracy, new_accuracy = old.get("accuracy", 0.0), new.get("accuracy", 0.0)
    scores = (f"accuracy {new_accuracy:.3f} against {old_accuracy:.3f}, "
              f"macro F1 {new.get('f1_macro', 0.0):.3f} against {old.get('f1_macro', 0.0):.3f}")
    margin = chance_margin(old_accuracy, new_accuracy, test_rows)
    if abs(new_accuracy - old_accuracy) < margin:
        scores += (f"; on {test_rows} test rows a difference under about {margin:.2f} can be chance: more test "
                   f"rows (a larger limit or a lower p_of_train) tell the models apart better")
    if new_is_better(old, new):
        return (f"The new model scored better on the {test_rows} test rows ({scores}). It is saved to {folder}: "
                f"send an OverrideRequest to keep the new model.")
    advice = (f"The new model did not score better on the {test_rows} test rows ({scores}): keep the current "
              f"model and do not send an OverrideRequest (it would replace the current model with the one in "
              f"{folder}).")
    if learning_rate is not None and learning_rate > HIGH_LEARNING_RATE:
        return (f"{advice} The learning rate {learning_rate:g} is high for fine-tuning: at such rates a BERT-type "
                f"model usually gets worse; try 2e-5 to 1e-4.")
    return f"{advice} More rows or epochs, or another learning rate, may help."
