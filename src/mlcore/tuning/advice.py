"""What a TrainResponse advises: keep the new model only when it scored better on the test rows."""

from __future__ import annotations

from collections.abc import Mapping

#: Fine-tuning a BERT-type model above this learning rate usually unlearns more than it learns.
HIGH_LEARNING_RATE = 1e-3


def new_is_better(old: Mapping[str, float], new: Mapping[str, float]) -> bool:
    """Accuracy decides; on a tie the macro F1, then the lower loss."""
    def key(metrics: Mapping[str, float]) -> tuple[float, float, float]:
        return (metrics.get("accuracy", 0.0), metrics.get("f1_macro", 0.0), -metrics.get("loss", float("inf")))

    return key(new) > key(old)


def advise(old: Mapping[str, float], new: Mapping[str, float], *, test_rows: int, folder: str,
           learning_rate: float | None) -> str:
    """The ``info`` of a TrainResponse: which model scored better on the test rows and what to do."""
    scores = (f"accuracy {new.get('accuracy', 0.0):.3f} against {old.get('accuracy', 0.0):.3f}, "
              f"macro F1 {new.get('f1_macro', 0.0):.3f} against {old.get('f1_macro', 0.0):.3f}")
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
