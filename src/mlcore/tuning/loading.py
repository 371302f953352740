"""Fine-tuning a sequence classifier on rows of a SQL table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..pipelines import ModelLoadError


def load_classifier(model_dir: Path, num_labels: int, options: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Load a sequence-classification model and its tokenizer from ``model_dir``.

    Raises:
        ModelLoadError: the folder is missing or transformers cannot load it.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelLoadError(
            f"no model folder at {model_dir}: run src/utils/download_bert.py or set path/model_name")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, num_labels=num_labels, **(options or {}))
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except Exception as exc:
        raise ModelLoadError(f"could not load a classifier from {model_dir}: {exc}") from exc
    return model, tokenizer
