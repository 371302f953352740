"""The seed's TrainRequest and a started TuningOperation on the tiny review model, for the tuning tests."""

from __future__ import annotations

from pathlib import Path

import bo

from .components import started
from .reviews import MODEL_NAME

#: The seed README's request, character for character.
SEED_TRAIN_REQUEST = """{
    "columns":"ReviewLabel,ReviewText",
    "table":"iris.Review",
    "limit":20,
    "p_of_train":0.8,

    "output_dir":"/irisdev/app/src/model/checkpoints",
    "evaluation_strategy":"steps",
    "learning_rate":0.01,
    "num_train_epochs":1
}"""
#: A request the tiny model reliably learns from in a couple of seconds.
LEARNING_REQUEST = {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "p_of_train": 0.7,
                    "learning_rate": 3e-3, "num_train_epochs": 30}


def tuning_operation(model_path: Path, db_url: str, *extra: str) -> bo.TuningOperation:
    """A started TuningOperation on ``MODEL_NAME`` under ``model_path`` reading ``db_url``, plus ``extra`` lines."""
    lines = [f"path={model_path}", f"model_name={MODEL_NAME}", "num_labels=5", f"db_url={db_url}",
             "progress_seconds=0", *extra]
    return started(bo.TuningOperation, "\n".join(lines))
