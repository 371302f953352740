"""TuningOperation end to end on a tiny model: the seed's TrainRequest on SQLite and PostgreSQL,
learning, energy figures, override and rollback, and requests refused before anything is written."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from msg import OverrideResponse, RollbackResponse, TrainResponse
from support.components import call
from support.reviews import MODEL_NAME
from support.tuning import LEARNING_REQUEST, SEED_TRAIN_REQUEST
from support.tuning import tuning_operation as _operation

SEED_NO_TEMPORARY_MODEL = "No temporary model detected, run a training first."



def _weights(folder: Path) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))}


def _check_seed_response(response: TrainResponse, model_path: Path) -> None:
    assert isinstance(response, TrainResponse)
    assert (response.rows, response.train_rows, response.test_rows) == (20, 16, 4)
    for metrics in (response.old_model, response.new_model):
        assert set(metrics) == {"accuracy", "precision", "f1", "f1_macro", "loss"}
        assert all(0.0 <= metrics[name] <= 1.0 for name in ("accuracy", "precision", "f1", "f1_macro"))
        assert metrics["loss"] > 0
    assert "on the 4 test rows" in response.info and "OverrideRequest" in response.info
    # plausible for seconds of CPU work: above zero, far below a kettle boiling (0.1 kWh)
    assert 0 < response.energy_kwh < 1e-3
    assert 0 < response.co2_kg < response.energy_kwh
    assert response.energy["country_iso_code"] == "FRA"
    assert "cpu" in response.energy["methods"]
    assert 0 < response.duration_s < 120
    temp = model_path / f"temp-{MODEL_NAME}"
    assert Path(response.saved_to) == temp
    config = json.loads((temp / "config.json").read_text())
    # labels 1..5 were trained as ids 0..4; pipelines answer with the real labels
    assert config["id2label"] == {str(i): str(i + 1) for i in range(5)}
    assert config["label2id"] == {str(i + 1): i for i in range(5)}
    assert response.arguments["eval_strategy"] == "steps"  # the legacy name was mapped
    assert response.arguments["per_device_train_batch_size"] == 8  # ours (TRAIN_BATCH_SIZE), not the seed's rule
    # one epoch: no validation rows taken from the training rows, the last model kept, as the seed did
    assert (response.validation_rows, response.best_step) == (0, None)
    json.dumps(vars(response), default=str)


def test_seed_train_request_verbatim_on_sqlite(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews)
    response = call(op, "msg.TrainRequest", SEED_TRAIN_REQUEST)
    _check_seed_response(response, model_path)
    assert not Path("/irisdev").exists()  # the seed's container path is mapped, not created
    assert not (model_path / "checkpoints").exists()  # no checkpoint was asked for
    logs = op.log_records.messages(logging.INFO)
    assert any(m.startswith("evaluation (old model)") and "eval_accuracy=" in m for m in logs)
    assert any(m.startswith("step=") and "loss=" in m and "learning_rate=" in m and "ETA" in m for m in logs)
    assert any(m.startswith("evaluation (new model)") for m in logs)
    assert any(m.startswith("energy: energy=") and "kWh" in m for m in logs)


def test_seed_train_request_verbatim_on_postgresql(model_path, postgres_reviews):
    op = _operation(model_path, postgres_reviews)
    _check_seed_response(call(op, "msg.TrainRequest", SEED_TRAIN_REQUEST), model_path)


def test_the_new_model_beats_the_old_and_the_model_in_use_is_unchanged(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false")
    before = _weights(model_path / MODEL_NAME)
    response = call(op, "msg.TrainRequest", LEARNING_REQUEST)
    assert (response.rows, response.test_rows) == (60, 18)
    assert response.new_model["accuracy"] >= response.old_model["accuracy"] + 0.3
    assert response.new_model["loss"] < response.old_model["loss"]
    assert response.energy_kwh is None and "switched off" in response.energy["note"]
    assert _weights(model_path / MODEL_NAME) == before  # nothing promoted without an OverrideRequest
    assert response.info.startswith("The new model scored better on the 18 test rows (accuracy ")
    assert response.info.endswith(f"It is saved to temp-{MODEL_NAME}: send an OverrideRequest to keep the new model.")
    # the next training starts again from the model in use, not from the one just trained
    again = call(op, "msg.TrainRequest", LEARNING_REQUEST | {"max_steps": 1})
    assert again.old_model == response.old_model


def test_a_worse_new_model_is_not_recommended_and_a_high_learning_rate_is_named(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false")
    call(op, "msg.TrainRequest", LEARNING_REQUEST)
    call(op, "msg.OverrideRequest", "{}")  # a model that knows the reviews is now in use
    response = call(op, "msg.TrainRequest", LEARNING_REQUEST | {"learning_rate": 0.5, "num_train_epochs": 5})
    assert response.new_model["accuracy"] < response.old_model["accuracy"]
    assert response.info.startswith("The new model did not score better on the 18 test rows (accuracy ")
    assert "keep the current model and do not send an OverrideRequest" in response.info
    assert "The learning rate 0.5 is high for fine-tuning" in response.info
    assert "send an OverrideRequest to keep" not in response.info


def test_override_promotes_keeps_the_previous_and_rollback_restores(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false", "keep_versions=2")
    original = _weights(model_path / MODEL_NAME)
    call(op, "msg.TrainRequest", LEARNING_REQUEST)
    trained = _weights(model_path / f"temp-{MODEL_NAME}")

    promoted = call(op, "msg.OverrideRequest", "{}")
    assert isinstance(promoted, OverrideResponse) and promoted.promoted is True
    assert _weights(model_path / MODEL_NAME) == trained
    assert not (model_path / f"temp-{MODEL_NAME}").exists()
    assert _weights(Path(promoted.previous_version)) == original
    assert op._model.config.id2label[0] == "1"  # the operation reloaded the promoted model

    again = call(op, "msg.OverrideRequest", "{}")
    assert again.text == SEED_NO_TEMPORARY_MODEL and again.promoted is False

    restored = call(op, "msg.RollbackRequest", "{}")
    assert isinstance(restored, RollbackResponse)
    assert _weights(model_path / MODEL_NAME) == original
    assert op._model.config.id2label[0] == "LABEL_0"
    # the rolled-back model waits in temp- again: an override would bring it back
    assert _weights(model_path / f"temp-{MODEL_NAME}") == trained
    with pytest.raises(Exception, match="nothing to roll back to"):
        call(op, "msg.RollbackRequest", "{}")


BAD_REQUESTS = [
    ({"table": "iris.Nope"}, "unknown table 'iris.Nope'"),
    ({"table": "nowhere.Review"}, "no schema 'nowhere'"),
    ({"table": "iris.Review; DROP TABLE iris.Review"}, "unknown table"),
    ({"columns": "ReviewLabel,Nope"}, "unknown column 'Nope'"),
    ({"columns": "ReviewLabel,ReviewText FROM iris.Review --"}, "unknown column"),
    ({"columns": "ReviewText"}, "columns must name two columns"),
    ({"p_of_train": 0}, "p_of_train must be a fraction strictly between 0 and 1"),
    ({"p_of_train": 1}, "p_of_train must be"),
    ({"p_of_train": 1.5}, "p_of_train must be"),
    ({"limit": -3}, "limit must be a whole number from 1"),
    ({"limit": "1e3"}, "limit must be a whole number from 1 to 2147483647, got '1e3'"),
    ({"limit": 1e30}, "limit must be a whole number"),
    ({"limit": True}, "limit must be a whole number from 1 to 2147483647, got True"),
    ({"learning_rate": "abc"}, "learning_rate must be a number, got 'abc'"),
    ({"learning_rate": 0}, "learning_rate must be above 0"),
    ({"num_train_epochs": -1}, "num_train_epochs must be above 0, got -1"),
    ({"num_train_epochs": 1e9}, "num_train_epochs must be at most 100 (the max_epochs setting)"),
    ({"max_steps": 10**9}, "max_steps must be -1 (from the epochs) or from 1 to 100000"),
    ({"per_device_train_batch_size": 2.5}, "per_device_train_batch_size must be a whole number"),
    ({"fp16": "yes"}, "fp16 must be true or false, got 'yes'"),
    ({"output_dir": "/etc/x"}, "output_dir must be a folder under the model path"),
    ({"output_dir": "../../.."}, "output_dir must be a folder under the model path"),
    ({"learning_rat": 0.01, "warmup_step": 2}, "unknown TrainingArguments key(s) 'learning_rat', 'warmup_step'"),
    ({"limit": 3}, "3 usable row(s): at least 5 are needed"),
    ({"lr_scheduler_type": "sideways"}, "TrainingArguments refused"),
    ({"processes": 0}, "processes must be a whole number from 1 to 1024"),
]


def test_training_stops_at_the_time_budget_and_the_response_says_so(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false", "max_train_seconds=0")
    response = call(op, "msg.TrainRequest", json.loads(SEED_TRAIN_REQUEST) | {"num_train_epochs": 50})
    assert response.info.startswith("Training stopped at step 1 of 100: the time budget of 0 s (max_train_seconds)")
    assert "on the 4 test rows" in response.info and "OverrideRequest" in response.info


@pytest.mark.parametrize(("change", "message"), BAD_REQUESTS, ids=[m for _, m in BAD_REQUESTS])
def test_bad_requests_are_refused_clearly_and_change_nothing_on_disk(model_path, sqlite_reviews, change, message):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false")
    before = _tree(model_path)
    request = json.loads(SEED_TRAIN_REQUEST) | change
    with pytest.raises(ValueError) as refused:
        call(op, "msg.TrainRequest", request)
    assert message in str(refused.value)
    assert _tree(model_path) == before
    assert not Path("/irisdev").exists()
    # the database was not touched either (no DROP went through)
    assert call(op, "msg.OverrideRequest", "{}").text == SEED_NO_TEMPORARY_MODEL
