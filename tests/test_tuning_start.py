"""How TuningOperation starts, as the seed's did: its model downloaded once from ``model_url``
through the model cache, a warning (not a failure) offline without a model and an error naming
the fix on a TrainRequest, and ``iris.Review`` created and filled the first time it is missing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

import bo
from mlcore.database import create_db_engine, review_table
from mlcore.layout import default_dataset
from mlcore.pipelines import ModelLoadError
from msg import TrainResponse
from support.components import call, started
from support.hub_server import HubRepo
from support.reviews import SEED_TRAIN_BODY

REPO = "test-org/tiny-reviews"


def _operation(model_path: Path, db_url: str):
    return started(bo.TuningOperation, "\n".join([f"model_url=https://huggingface.co/{REPO}", f"path={model_path}",
                                                  "num_labels=5", f"db_url={db_url}", "progress_seconds=0"]))


def _review_count(db_url: str) -> int:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(review_table())).scalar_one()
    finally:
        engine.dispose()


def test_the_model_is_downloaded_once_and_a_fresh_database_gets_the_reviews(hub, tiny_reviews_model, tmp_path):
    hub.add(HubRepo.from_folder(REPO, tiny_reviews_model))
    db_url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    op = _operation(tmp_path / "model", db_url)
    assert (tmp_path / "model" / "tiny-reviews" / "model.safetensors").is_file()
    infos = op.log_records.messages(logging.INFO)
    loaded = [line for line in infos if line.startswith("iris.Review was missing")]
    rows = _review_count(db_url)
    assert rows > 200
    assert loaded == [f"iris.Review was missing: created and filled from {default_dataset()}: read {rows} reviews: "
                      f"{rows} inserted, 0 already present, 0 malformed lines skipped"]
    response = call(op, "msg.TrainRequest", SEED_TRAIN_BODY)
    assert isinstance(response, TrainResponse) and response.rows == 20

    hub.reset_counts()
    again = _operation(tmp_path / "model", db_url)
    assert hub.requests == [], "the second start makes no transfer"
    assert not any(line.startswith("iris.Review") for line in again.log_records.messages(logging.INFO))
    assert _review_count(db_url) == rows, "an existing table is never reloaded"


def test_offline_without_a_model_the_item_starts_with_a_warning_and_a_train_request_names_the_fix(
        monkeypatch, sqlite_reviews, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    op = _operation(tmp_path / "model", sqlite_reviews)
    (warning,) = [line for line in op.log_records.messages(logging.WARNING) if "has no model" in line]
    assert "offline mode (HF_HUB_OFFLINE)" in warning and warning.endswith("a TrainRequest tries again.")
    with pytest.raises(ModelLoadError) as refused:
        call(op, "msg.TrainRequest", SEED_TRAIN_BODY)
    assert str(refused.value).startswith("TuningOperation has no model 'tiny-reviews'")
    assert (f"Fix: let the item reach the hub for https://huggingface.co/{REPO} (unset HF_HUB_OFFLINE" in
            str(refused.value))
    assert (f"python src/utils/download_bert.py --model-url https://huggingface.co/{REPO} --name tiny-reviews "
            f"--path {tmp_path / 'model'}" in str(refused.value))


def test_without_settings_the_model_is_the_seeds_bert_base_cased(monkeypatch, sqlite_reviews, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    op = started(bo.TuningOperation, f"db_url={sqlite_reviews}\npath={tmp_path}")
    assert (op.model_name, op.model_url) == ("bert-base-cased", "https://huggingface.co/bert-base-cased")
