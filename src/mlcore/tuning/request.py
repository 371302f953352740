"""The fields of a TrainRequest that say which rows to learn from, checked before anything runs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import TrainRequestError
from .validation import boolean, whole_number

#: More training processes than any one launch would start (8 GPUs a machine, 128 machines).
MAX_PROCESSES = 1024
#: Class weights unless a request says ``"class_weights": false``: on 500 training rows of the Yelp
#: reviews they raised macro F1 on every seed or left it (docs/tuning.md, "Measured (issue 26)").
CLASS_WEIGHTS = True
#: The request's own keys; every other key is for ``TrainingArguments``.
REQUEST_KEYS = ("columns", "table", "limit", "p_of_train", "processes", "class_weights")


@dataclass(frozen=True)
class DataSpec:
    """Where the rows come from and how they are split."""

    table: str
    label_column: str
    text_column: str
    limit: int | None
    p_of_train: float


@dataclass(frozen=True)
class ParsedRequest:
    data: DataSpec
    #: Keys for ``TrainingArguments`` as the request spelled them (legacy names not yet mapped).
    training_keys: dict[str, Any] = field(default_factory=dict)
    #: Training processes the request asks for; None: the TuningOperation's ``processes`` setting.
    processes: int | None = None
    #: Weigh each class's loss by the inverse of its share of the training rows ("balanced").
    class_weights: bool = CLASS_WEIGHTS


def parse_request(fields: Mapping[str, Any]) -> ParsedRequest:
    """Split a TrainRequest's fields into the data spec and the ``TrainingArguments`` keys.

    ``None`` values are dropped: they are fields the request left out.

    Raises:
        TrainRequestError: ``columns`` is not two names, ``table`` is empty, ``limit`` is not a
            positive integer, ``p_of_train`` is not strictly between 0 and 1, ``processes`` is
            not a positive whole number, or ``class_weights`` is not a boolean.
    """
    present = {key: value for key, value in fields.items() if value is not None and not key.startswith("_")}
    columns = [name.strip() for name in str(present.get("columns", "")).split(",")]
    if len(columns) != 2 or not all(columns):
        raise TrainRequestError(
            f"columns must name two columns, the label then the text (e.g. \"ReviewLabel,ReviewText\"), "
            f"got {present.get('columns')!r}")
    table = str(present.get("table", "")).strip()
    if not table:
        raise TrainRequestError("table is required (e.g. \"iris.Review\")")
    spec = DataSpec(table=table, label_column=columns[0], text_column=columns[1],
                    limit=_limit(present.get("limit")), p_of_train=_fraction(present.get("p_of_train", 0.8)))
    training_keys = {key: value for key, value in present.items() if key not in REQUEST_KEYS}
    return ParsedRequest(data=spec, training_keys=training_keys, processes=processes(present.get("processes")),
                         class_weights=boolean("class_weights", present.get("class_weights", CLASS_WEIGHTS)))


def processes(value: Any) -> int | None:
    """A number of training processes (1 to 1024), or None/empty for the default.

    Raises:
        TrainRequestError: anything else.
    """
    if value is None or value == "":
        return None
    return whole_number("processes", value, maximum=MAX_PROCESSES)


def _limit(value: Any) -> int | None:
    if value is None or value == "":
        return None
    # bool is an int in Python: "limit": true is a mistake, not 1 row (whole_number refuses it)
    return whole_number("limit", value)


def _fraction(value: Any) -> float:
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        fraction = math.nan
    if isinstance(value, bool) or not 0.0 < fraction < 1.0:
        raise TrainRequestError(
            f"p_of_train must be a fraction strictly between 0 and 1 (the share of rows used to train), got {value!r}")
    return fraction
