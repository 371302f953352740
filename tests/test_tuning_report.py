"""What a training leaves beside its model and in its TrainResponse: the evaluation report of the
old and new model, the model card (read back by huggingface_hub), the precision it ran in, the best
checkpoint of a longer training; and the card moving with the model on Override and Rollback."""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import ModelCard

from mlcore.tuning.precision import bf16_supported
from support.components import call
from support.reviews import MODEL_NAME
from support.tuning import LEARNING_REQUEST, SEED_TRAIN_REQUEST
from support.tuning import tuning_operation as _operation


def _card(folder: Path) -> ModelCard:
    return ModelCard.load(folder / "README.md")


def test_a_training_writes_the_report_and_a_card_huggingface_hub_reads_back(model_path, sqlite_reviews):
    response = call(_operation(model_path, sqlite_reviews), "msg.TrainRequest", SEED_TRAIN_REQUEST)
    temp = model_path / f"temp-{MODEL_NAME}"

    report = response.report
    assert report["labels"] == ["1", "2", "3", "4", "5"]
    for model in ("old", "new"):
        scores = report[model]
        assert len(scores["confusion"]) == 5 and all(len(row) == 5 for row in scores["confusion"])
        assert sum(map(sum, scores["confusion"])) == response.test_rows == 4
        assert scores["support"] == [sum(row) for row in scores["confusion"]]
        assert sum(scores["predicted"]) == 4 and all(0 <= f1 <= 1 for f1 in scores["f1"])
    assert json.loads((temp / "evaluation.json").read_text()) == report

    assert response.precision == ("bf16" if bf16_supported(use_gpu=False) else "fp32")
    assert response.arguments["bf16"] is (response.precision == "bf16")
    # 16 training rows once and 4 test rows twice, at 512 tokens each in the seed's recipe
    assert response.tokens["seed_recipe"] == 512 * (16 + 2 * 4)
    assert 0 < response.tokens["computed"] < response.tokens["seed_recipe"]

    card = _card(temp)
    assert Path(response.model_card) == temp / "README.md"
    emissions = card.data.co2_eq_emissions
    assert emissions["source"] == "codecarbon" and emissions["training_type"] == "fine-tuning"
    assert emissions["emissions"] == round(response.co2_kg * 1000, 4) > 0 and emissions["hardware_used"]
    metrics = {result.metric_name: result.metric_value for result in card.data.eval_results}
    assert metrics["Accuracy"] == response.new_model["accuracy"]
    assert metrics["Macro F1"] == response.new_model["f1_macro"]
    assert card.data.base_model == MODEL_NAME and card.data.library_name == "transformers"
    assert "Confusion matrix of the new model" in card.text and "iris.Review" in card.text
    assert f"would have computed {response.tokens['seed_recipe']:,}" in card.text


def test_bf16_false_in_the_request_or_a_setting_trains_in_fp32_and_class_weights_can_be_off(model_path, sqlite_reviews):
    request = json.loads(SEED_TRAIN_REQUEST) | {"max_steps": 1}
    asked = call(_operation(model_path, sqlite_reviews, "measure_energy=false"), "msg.TrainRequest",
                 request | {"bf16": False})
    assert asked.precision == "fp32" and asked.arguments["bf16"] is False
    setting = call(_operation(model_path, sqlite_reviews, "measure_energy=false", "bf16=false"), "msg.TrainRequest",
                   request | {"class_weights": False})
    assert setting.precision == "fp32"
    # class weights are on unless the request turns them off
    assert asked.arguments["class_weights"] is True and setting.arguments["class_weights"] is False


def test_more_than_one_epoch_keeps_the_best_checkpoint_chosen_on_validation_rows(model_path, sqlite_reviews):
    response = call(_operation(model_path, sqlite_reviews, "measure_energy=false"), "msg.TrainRequest",
                    LEARNING_REQUEST)
    # 42 training rows, of which a tenth (stratified) picks the checkpoint; the 18 test rows stay apart
    assert (response.train_rows, response.validation_rows, response.test_rows) == (42, 4, 18)
    assert response.best_step is not None and response.arguments["load_best_model_at_end"] is True
    assert "Validation" not in response.report  # the report is on the test rows only
    assert not (model_path / "checkpoints").exists()  # the selection's checkpoints were temporary


def test_override_promotes_the_card_with_the_model_and_rollback_restores_the_previous_card(model_path,
                                                                                          sqlite_reviews):
    op = _operation(model_path, sqlite_reviews, "measure_energy=false")
    in_use = model_path / MODEL_NAME
    request = json.loads(SEED_TRAIN_REQUEST)
    call(op, "msg.TrainRequest", request)
    first = (model_path / f"temp-{MODEL_NAME}" / "README.md").read_text()
    call(op, "msg.OverrideRequest", "{}")
    assert (in_use / "README.md").read_text() == first

    call(op, "msg.TrainRequest", request | {"learning_rate": 0.001})
    second = (model_path / f"temp-{MODEL_NAME}" / "README.md").read_text()
    assert second != first
    assert _card(model_path / f"temp-{MODEL_NAME}").data.base_model == MODEL_NAME  # still the original base
    call(op, "msg.OverrideRequest", "{}")
    assert (in_use / "README.md").read_text() == second

    call(op, "msg.RollbackRequest", "{}")
    assert (in_use / "README.md").read_text() == first
    assert _card(in_use).data.eval_results
