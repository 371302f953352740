"""Training progress and results, read from what a tuning item logs and answers.

Progress lines in the event log carry ``key=value`` pairs (``step=4 loss=1.52 eval_accuracy=0.4``)
or the Trainer's own dict (``{'loss': 1.52, 'epoch': 0.5}``); every numeric pair becomes a point.
A ``TrainResponse`` body holds ``old_model`` and ``new_model`` metrics (and energy/CO2 figures),
and the evaluation ``report``: per-label scores and confusion matrices of both models.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_PAIR = re.compile(r"([A-Za-z_][\w./-]*)\s*[=:]\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_DICT = re.compile(r"\{[^{}]*\}")
#: Keys that place a point on the x axis, in order of preference.
X_KEYS = ("step", "global_step", "epoch")
ENERGY_KEYS = ("energy_kwh", "energy_consumed", "kwh", "energy")
CO2_KEYS = ("co2_kg", "emissions_kg", "emissions", "co2", "co2eq_kg")


@dataclass
class Curves:
    """Series of numbers by name (``loss``, ``eval_loss``, ``eval_accuracy``...), with their x values."""

    x_name: str = "step"
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x_name, "series": {name: [list(p) for p in points] for name, points in self.series.items()}}


def parse_progress(text: str) -> dict[str, float]:
    """Numeric ``key=value`` (or ``'key': value``) pairs of one log line; ``{}`` when it has none."""
    values: dict[str, float] = {}
    for literal in _DICT.findall(text):
        try:
            parsed = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            continue
        if isinstance(parsed, dict):
            values.update({str(k): float(v) for k, v in parsed.items()
                           if isinstance(v, int | float) and not isinstance(v, bool)})
    for key, value in _PAIR.findall(_DICT.sub(" ", text)):
        values.setdefault(key.strip("'\""), float(value))
    return values


def is_progress(values: Mapping[str, float]) -> bool:
    """A line is training progress when it has a loss or eval metric."""
    return any(key == "loss" or key.endswith("loss") or key.startswith("eval_") for key in values)


def curves_from_log(texts: Iterable[str]) -> Curves:
    """Loss and eval-metric curves from progress lines, in log order; x is step (else epoch, else index).
    Lines without that x (a closing summary) are left out of the curves."""
    rows = [values for values in map(parse_progress, texts) if is_progress(values)]
    x_name = next((key for key in X_KEYS if any(key in row for row in rows)), "index")
    curves = Curves(x_name=x_name)
    for index, row in enumerate(rows):
        if x_name != "index" and x_name not in row:
            continue  # a summary (old model {...} → new model {...}): no place on the x axis
        x = row.get(x_name, float(index))
        for key, value in row.items():
            if key in X_KEYS or key.endswith("runtime") or key.endswith("per_second"):
                continue
            curves.series.setdefault(key, []).append((x, value))
    return curves


def _flat_numbers(data: Any, prefix: str = "") -> dict[str, float]:
    found: dict[str, float] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            found.update(_flat_numbers(value, f"{prefix}{key}."))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        found[prefix.rstrip(".")] = float(data)
    return found


@dataclass
class MetricsTable:
    """Old against new metrics of one training, with the energy and CO2 it cost, the precision it
    ran in and the tokens it computed (against the seed's recipe)."""

    rows: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    energy_kwh: float | None = None
    co2_kg: float | None = None
    info: str = ""
    precision: str = ""
    tokens: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [list(row) for row in self.rows], "energy_kwh": self.energy_kwh,
                "co2_kg": self.co2_kg, "info": self.info, "precision": self.precision, "tokens": self.tokens}


def _pick(values: Mapping[str, float], keys: tuple[str, ...]) -> float | None:
    for wanted in keys:
        for key, value in values.items():
            if key.rpartition(".")[2].lower() == wanted:
                return value
    return None


def metrics_table(body: Mapping[str, Any]) -> MetricsTable:
    """The table of a ``TrainResponse`` body (``old_model``, ``new_model``, ``info``, energy figures)."""
    old = _flat_numbers(body.get("old_model") or {})
    new = _flat_numbers(body.get("new_model") or {})
    everything = _flat_numbers(body)
    energy = _pick(everything, ENERGY_KEYS)
    co2 = _pick(everything, CO2_KEYS)
    skip = set(ENERGY_KEYS) | set(CO2_KEYS)
    names = [name for name in dict.fromkeys([*old, *new]) if name.rpartition(".")[2].lower() not in skip]
    rows = [(name, old.get(name), new.get(name)) for name in names]
    tokens = body.get("tokens") if isinstance(body.get("tokens"), Mapping) else {}
    return MetricsTable(rows=rows, energy_kwh=energy, co2_kg=co2, info=str(body.get("info") or ""),
                        precision=str(body.get("precision") or ""),
                        tokens={str(k): v for k, v in tokens.items() if _numbers([v], 1)})


_SCORES = ("precision", "recall", "f1", "support", "predicted")


def evaluation_report(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``report`` of a ``TrainResponse`` body, kept only where it has the shape the page draws:
    ``labels``, and per model (``old``, ``new``) a square ``confusion`` matrix over them and per-label
    lists of scores; None when there is none."""
    report = body.get("report")
    if not isinstance(report, Mapping) or not isinstance(report.get("labels"), list):
        return None
    labels = [str(label) for label in report["labels"]]
    shown: dict[str, Any] = {"labels": labels}
    for model in ("old", "new"):
        scores = report.get(model)
        if not isinstance(scores, Mapping) or not _square(scores.get("confusion"), len(labels)):
            continue
        shown[model] = {"confusion": scores["confusion"]} | {
            name: scores[name] for name in _SCORES if _numbers(scores.get(name), len(labels))}
    return shown if len(shown) > 1 else None


def _numbers(values: Any, size: int) -> bool:
    return (isinstance(values, list) and len(values) == size
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values))


def _square(matrix: Any, size: int) -> bool:
    return isinstance(matrix, list) and len(matrix) == size and all(_numbers(row, size) for row in matrix)
