"""The seed's example request bodies, keyed by request class and (for MLRequest) the item's task.

The Test page prefills its JSON editor from here; the bodies are the seed README's, verbatim
except for images, which are the repository's ``misc/`` sample (the seed's http URL fails offline)
instead of ``/irisdev/app`` or the web.
"""

from __future__ import annotations

import copy
from typing import Any

ML_REQUEST = "msg.MLRequest"
HF_REQUEST = "msg.HFRequest"
TRAIN_REQUEST = "msg.TrainRequest"
OVERRIDE_REQUEST = "msg.OverrideRequest"

#: Requests that may run for minutes: the Test page sends them asynchronously.
LONG_REQUEST_CLASSES: frozenset[str] = frozenset({TRAIN_REQUEST})

ML_EXAMPLES_BY_TASK: dict[str, dict[str, Any]] = {
    "text-generation": {"text_inputs": "George Washington lived", "max_length": 30, "num_return_sequences": 3},
    "ner": {"inputs": "George Washington lived in washington"},
    "token-classification": {"inputs": "George Washington lived in washington"},
    "fill-mask": {"inputs": "George Washington lived in [MASK]."},
    "object-detection": {"url": "misc/000000039769.jpg"},
    "image-segmentation": {"url": "misc/000000039769.jpg"},
    "text-classification": {"inputs": "This was a really bad experience"},
    "sentiment-analysis": {"inputs": "This was a really bad experience"},
}

EXAMPLES_BY_CLASS: dict[str, dict[str, Any]] = {
    HF_REQUEST: {
        "api_url": "https://api-inference.huggingface.co/models/gpt2",
        "payload": "Can you please let us know more details about your ",
        "api_key": "",
    },
    ML_REQUEST: {"text_inputs": "Unfortunately, the outcome", "max_length": 100, "num_return_sequences": 3},
    TRAIN_REQUEST: {
        "columns": "ReviewLabel,ReviewText",
        "table": "iris.Review",
        "limit": 20,
        "p_of_train": 0.8,
        "output_dir": "src/model/checkpoints",
        "evaluation_strategy": "steps",
        "learning_rate": 0.01,
        "num_train_epochs": 1,
    },
    OVERRIDE_REQUEST: {},
}

#: The request class a component class is usually tested with (by class name suffix).
DEFAULT_REQUEST_BY_COMPONENT: dict[str, str] = {
    "HFOperation": HF_REQUEST,
    "MLOperation": ML_REQUEST,
    "TuningOperation": TRAIN_REQUEST,
}


def example_body(classname: str, task: str = "") -> dict[str, Any]:
    """The seed's example body for ``classname`` (for MLRequest: for the item's ``task``); ``{}`` if none."""
    if classname == ML_REQUEST and task in ML_EXAMPLES_BY_TASK:
        return copy.deepcopy(ML_EXAMPLES_BY_TASK[task])
    return copy.deepcopy(EXAMPLES_BY_CLASS.get(classname, {}))


def default_request_class(component_class_name: str) -> str:
    """``"bo.MLOperation"`` → ``"msg.MLRequest"``; unknown classes get MLRequest."""
    short = component_class_name.rpartition(".")[2]
    return DEFAULT_REQUEST_BY_COMPONENT.get(short, ML_REQUEST)


def is_long_request(classname: str) -> bool:
    return classname in LONG_REQUEST_CLASSES
