"""Fine-tuning a sequence classifier on rows of a SQL table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..pipelines import ModelLoadError

#: Config names of attention dropout (BERT, RoBERTa, ELECTRA, DeBERTa...; DistilBERT, BART...).
#: It is off while we fine-tune: with a dropout on the attention weights, PyTorch's attention
#: leaves its fused kernel for one that writes every weight out (on CPU a training step at 512
#: tokens takes 2.4x as long, at 128 tokens 1.3x), and on 1,000 test rows, 3 seeds, accuracy and
#: macro F1 are the same without it (docs/tuning.md#measured). A setting that names it keeps it.
ATTENTION_DROPOUT = ("attention_probs_dropout_prob", "attention_dropout")


def attention_dropout(config: Any) -> dict[str, float]:
    """The attention dropout a model's config sets, by config name (the name a setting gives it)."""
    return {name: value for name in ATTENTION_DROPOUT if isinstance(value := getattr(config, name, None), float)}


def load_classifier(model_dir: Path, num_labels: int, options: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """Load a sequence-classification model and its tokenizer from ``model_dir``, to be fine-tuned:
    attention dropout off (:data:`ATTENTION_DROPOUT`) unless ``options`` names it; the model's
    config keeps its own value, so a saved model carries it unchanged.

    Raises:
        ModelLoadError: the folder is missing or transformers cannot load it.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelLoadError(
            f"no model folder at {model_dir}: run src/utils/download_bert.py or set path/model_name")
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    options = dict(options or {})
    try:
        config, loading = AutoConfig.from_pretrained(model_dir, num_labels=num_labels, return_unused_kwargs=True,
                                                     **options)
        if "trust_remote_code" in options:  # the config took it; the model's class needs it too
            loading["trust_remote_code"] = options["trust_remote_code"]
        own = {name: value for name, value in attention_dropout(config).items() if name not in options}
        for name in own:
            setattr(config, name, 0.0)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, config=config, **loading)
        for name, value in own.items():  # the modules are built: this is what a save writes
            setattr(model.config, name, value)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except Exception as exc:
        raise ModelLoadError(f"could not load a classifier from {model_dir}: {exc}") from exc
    return model, tokenizer
