"""The evaluation report of a training: per-class precision, recall and F1 and the confusion matrix
of the old and the new model on the same test rows, in plain JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..layout import EVALUATION_REPORT
from .metrics import class_scores


def evaluation_report(label2id: Mapping[str, int], old_confusion: list[list[int]],
                      new_confusion: list[list[int]]) -> dict[str, Any]:
    """``{"labels": [...], "old": {...}, "new": {...}}``; each model: ``confusion`` (rows: true
    label, columns: predicted, in ``labels`` order) and per-label ``precision``, ``recall``, ``f1``,
    ``support`` (test rows of the label) and ``predicted`` (rows predicted as it)."""
    size = len(new_confusion or old_confusion)
    names = {index: label for label, index in label2id.items()}
    labels = [names.get(index, str(index)) for index in range(size)]
    return {"labels": labels,
            **{model: {"confusion": confusion, **class_scores(confusion)} if confusion else {}
               for model, confusion in (("old", old_confusion), ("new", new_confusion))}}


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file: a reader sees the whole file or none."""
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(text, encoding="utf-8")
    staging.replace(path)
    return path


def write_report(folder: Path, report: Mapping[str, Any]) -> Path:
    """Save ``report`` as ``evaluation.json`` in the trained model's folder (it moves with the model)."""
    return write_atomically(Path(folder) / EVALUATION_REPORT, json.dumps(report, indent=1))
