"""Message bodies loaded by the host's workers exactly as IoP's own ``dataclass_from_dict`` loads them.

This module's annotations are real types (no ``from __future__ import annotations``); msg.py's
are strings, resolved as IoP resolves them.
"""

import json
from dataclasses import dataclass, field

import pytest
from iop import Message
from iop.messages.serialization import dataclass_from_dict as iop_dataclass_from_dict

from iophost.worker.component import load_message, message_class


@dataclass
class Point(Message):
    x: float = 0.0
    y: float = 0.0


@dataclass
class Shape(Message):
    name: str
    corner: Point
    points: list[Point] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)
    tag: int | None = None


CASES = [
    ("msg.ReviewTriageResponse", {"review_id": "12", "stars": 2.0, "score": "0.25", "alert_id": None}),
    ("msg.ReviewAlertRequest", {"review_id": "not a number", "text": "bad", "extra": {"kept": [1, 2]}}),
    ("msg.TrainRequest", {"limit": True, "p_of_train": "0.5", "learning_rate": 0.001}),
    ("msg.TrainResponse", {"labels": {"good": "1"}, "energy_kwh": None, "rows": "7"}),
    ("msg.MLRequest", {"text_inputs": ["a", "b"], "url": 3, "max_length": 20}),
    ("msg.OverrideRequest", {}),
    ("test_message_loading.Shape", {"name": "s", "corner": {"x": "1.5", "y": 2}, "points": [{"x": 1}],
                                    "weights": {"a": "3"}, "tag": "4", "colour": "red"}),
    ("test_message_loading.Shape", {"name": 5, "corner": {"x": "far"}, "weights": [1]}),
]


@pytest.mark.parametrize(("classname", "body"), CASES)
def test_a_body_loads_as_iops_own_deserialisation_loads_it(classname, body):
    expected = iop_dataclass_from_dict(message_class(classname), json.loads(json.dumps(body)))
    for _ in range(2):  # the second time from what the first one kept
        loaded = load_message(classname, json.dumps(body))
        assert type(loaded) is type(expected)
        assert vars(loaded) == vars(expected)
        assert {k: type(v) for k, v in vars(loaded).items()} == {k: type(v) for k, v in vars(expected).items()}


def test_a_missing_field_without_default_is_a_clear_error():
    with pytest.raises(ValueError, match="body does not fit test_message_loading.Shape"):
        load_message("test_message_loading.Shape", '{"name": "s"}')
