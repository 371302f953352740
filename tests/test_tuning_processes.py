"""TuningOperation with ``processes=2``: the training runs as two DDP ranks (gloo on CPU) under
torchrun, a child of the operation; the same TrainResponse, rank 0's progress in the log, a temp
model that loads and can be promoted; a killed rank fails the request clearly and leaves no process."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

import bo
from mlcore.tuning import TrainingProcessError, load_classifier
from msg import TrainResponse
from support.components import call, started
from support.reviews import MODEL_NAME

#: The one-process tests' learning request (the tiny model goes from 0.17 to 0.78 accuracy), batch 4,
#: the last model kept (the best-checkpoint choice on 4 validation rows is tested on one process).
REQUEST = {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "p_of_train": 0.7,
           "learning_rate": 3e-3, "num_train_epochs": 30, "per_device_train_batch_size": 4,
           "load_best_model_at_end": False}
#: Rank processes: started by torchrun as ``python -u -m mlcore.tuning.distributed <job folder>``.
RANK_MODULE = "mlcore.tuning.distributed"


def _operation(model_path: Path, db_url: str):
    lines = [f"path={model_path}", f"model_name={MODEL_NAME}", "num_labels=5", f"db_url={db_url}",
             "progress_seconds=0", "processes=2"]
    return started(bo.TuningOperation, "\n".join(lines))


def _training_processes() -> list[psutil.Process]:
    """This test's descendants that belong to a training: the launcher and its ranks."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any(RANK_MODULE in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_two_processes_train_like_one_with_progress_from_rank_zero_only(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews)
    response = call(op, "msg.TrainRequest", REQUEST)
    assert isinstance(response, TrainResponse)
    assert (response.rows, response.train_rows, response.test_rows) == (60, 42, 18)
    assert response.new_model["accuracy"] >= response.old_model["accuracy"] + 0.3, response.new_model
    assert set(response.new_model) == {"accuracy", "precision", "f1", "f1_macro", "loss"}
    assert "send an OverrideRequest to keep the new model" in response.info
    assert response.energy_kwh > 0  # the ranks' CPU time is counted (codecarbon follows child processes)
    temp = model_path / f"temp-{MODEL_NAME}"
    assert Path(response.saved_to) == temp
    model, _ = load_classifier(temp, 5)
    assert model.config.id2label[0] == "1"

    logs = op.log_records.messages(logging.INFO)
    assert any("60 rows of iris.Review (42 train, 18 test, seed 42)" in m and "2 processes" in m for m in logs)
    for once in ("training started", "training done", "evaluation (old model)", "evaluation (new model)"):
        assert sum(m.startswith(once) for m in logs) == 1, once  # one rank writes, not two
    steps = [int(m.split()[0].split("=")[1].split("/")[0]) for m in logs if m.startswith("step=")]
    assert steps and steps == sorted(set(steps))
    # 42 rows in batches of 4 on 2 ranks: 6 steps an epoch
    assert any(m.startswith("training started: max_steps=180 ") for m in logs), logs
    assert _training_processes() == []
    assert "promoted" in call(op, "msg.OverrideRequest", "{}").text


def test_a_killed_rank_fails_the_request_clearly_and_leaves_no_process(model_path, sqlite_reviews):
    op = _operation(model_path, sqlite_reviews)
    killed: list[int] = []

    def kill_rank_one() -> None:
        deadline = time.monotonic() + 300  # a safety net only: the wait is for the log line
        while time.monotonic() < deadline:
            if any(m.startswith("step=") for m in op.log_records.messages(logging.INFO)):
                for rank in _training_processes():
                    try:
                        if rank.environ().get("RANK") == "1":
                            rank.send_signal(signal.SIGKILL)
                            killed.append(rank.pid)
                            return
                    except psutil.NoSuchProcess:
                        pass
            time.sleep(0.05)
        for process in _training_processes():  # never found: end the training so that the test fails
            process.kill()

    killer = threading.Thread(target=kill_rank_one)
    killer.start()
    with pytest.raises(TrainingProcessError) as failed:
        call(op, "msg.TrainRequest", REQUEST | {"max_steps": 100000})  # runs until a rank is killed
    killer.join()
    assert killed
    assert "rank 1 was killed by signal 9 (SIGKILL)" in str(failed.value)
    assert "no model saved" in str(failed.value)
    assert _training_processes() == []
    assert not (model_path / f"temp-{MODEL_NAME}").exists()
