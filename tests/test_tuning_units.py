"""The tuning core's pure pieces: batch rule, legacy names, split, labels, output folder,
progress throttling, and folder swaps of promotion and rollback."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlcore.tuning import NoTemporaryModelError, TrainingArgumentsError, promote, rollback
from mlcore.tuning.advice import advise
from mlcore.tuning.arguments import map_legacy_names, plan_arguments, seed_batch_size, selects_best
from mlcore.tuning.errors import LabelError, TrainRequestError
from mlcore.tuning.metrics import class_scores
from mlcore.tuning.model_card import seed_recipe_tokens
from mlcore.tuning.model_versions import exchange, list_versions, save_temporary
from mlcore.tuning.precision import bf16_supported, precision_of
from mlcore.tuning.progress import ProgressLogger
from mlcore.tuning.request import parse_request
from mlcore.tuning.trainer import balanced_weights, padded_tokens
from mlcore.tuning.training_data import encode_labels, hold_out, stratified_split
from mlcore.tuning.validation import TrainingLimits, check_training_values, confine_output_dir, whole_number


@pytest.mark.parametrize(("rows", "batch"), [(20, 4), (1000, 25), (13, 1), (1, 1), (100, 5), (4096, 16), (3600, 30)])
def test_the_seeds_batch_rule(rows, batch):
    assert seed_batch_size(rows) == batch


def test_legacy_names_are_mapped_to_todays_training_arguments():
    mapped = map_legacy_names({"evaluation_strategy": "steps", "group_by_length": True, "tokenizer": "tok",
                               "no_cuda": True, "overwrite_output_dir": True, "learning_rate": 0.01,
                               "warmup_ratio": 0.1})
    assert mapped.values == {"eval_strategy": "steps", "train_sampling_strategy": "group_by_length",
                             "use_cpu": True, "learning_rate": 0.01, "warmup_steps": 0.1}
    assert mapped.tokenizer == "tok"
    assert any("overwrite_output_dir ignored" in note for note in mapped.notes)


@pytest.mark.parametrize("ratio", [1.0, "1.5", -0.1])
def test_a_warmup_ratio_outside_0_to_1_is_refused_rather_than_read_as_steps(ratio):
    with pytest.raises(TrainingArgumentsError, match="warmup_ratio must be from 0 to below 1"):
        map_legacy_names({"warmup_ratio": ratio})


@pytest.mark.parametrize("first_steps", [True, False], ids=["steps first", "ratio first"])
def test_warmup_steps_wins_over_warmup_ratio_as_in_transformers_4(first_steps):
    keys = {"warmup_steps": 7, "warmup_ratio": 0.2} if first_steps else {"warmup_ratio": 0.2, "warmup_steps": 7}
    mapped = map_legacy_names(keys)
    assert mapped.values == {"warmup_steps": 7}
    assert any("warmup_ratio ignored" in note for note in mapped.notes)
    # warmup_steps 0 (its default) leaves the ratio in force, as in transformers 4
    assert map_legacy_names({**keys, "warmup_steps": 0}).values == {"warmup_steps": 0.2}


def test_tokenizer_and_processing_class_naming_different_folders_are_refused():
    with pytest.raises(TrainingArgumentsError, match="tokenizer and processing_class name different tokenizers"):
        map_legacy_names({"tokenizer": "a", "processing_class": "b"})
    assert map_legacy_names({"tokenizer": "a", "processing_class": "a"}).tokenizer == "a"


def test_an_old_name_and_its_new_one_with_different_values_are_refused_both_named():
    with pytest.raises(TrainingArgumentsError, match="evaluation_strategy and eval_strategy both set eval_strategy"):
        map_legacy_names({"evaluation_strategy": "steps", "eval_strategy": "epoch"})
    with pytest.raises(TrainingArgumentsError, match="group_by_length and train_sampling_strategy"):
        map_legacy_names({"group_by_length": True, "train_sampling_strategy": "random"})
    assert map_legacy_names({"no_cuda": True, "use_cpu": True}).values == {"use_cpu": True}


def test_unknown_keys_are_refused_all_named():
    with pytest.raises(TrainingArgumentsError, match="'colour', 'evaluation_stratgy'"):
        map_legacy_names({"evaluation_stratgy": "steps", "colour": "red", "learning_rate": 0.1})


def test_planned_arguments_keep_the_requests_values_and_add_ours():
    planned = plan_arguments({"eval_strategy": "steps", "per_device_train_batch_size": 8}, rows=100,
                             train_rows=80, seed=7, use_gpu=False)
    assert planned["per_device_train_batch_size"] == 8
    assert planned["per_device_eval_batch_size"] == 5  # the seed's rule where the request is silent
    assert planned["train_sampling_strategy"] == "group_by_length"  # shuffled length buckets
    assert planned["report_to"] == "none" and planned["seed"] == 7
    assert planned["eval_steps"] == 8  # 10 steps/epoch x 3 epochs, evaluated 4 times, not every logging step
    # three epochs (transformers' default): a checkpoint at each evaluation, the best one kept
    assert (planned["save_strategy"], planned["save_steps"], planned["load_best_model_at_end"]) == ("steps", 8, True)


def test_ours_trains_in_batches_of_8_and_in_bf16_where_the_cpu_has_it_unless_asked_otherwise():
    planned = plan_arguments({}, rows=2500, train_rows=1500, seed=1, use_gpu=False)
    assert planned["per_device_train_batch_size"] == 8 and planned["per_device_eval_batch_size"] == 25
    assert planned["bf16"] is bf16_supported(use_gpu=False)
    assert planned.get("use_cpu", False) is planned["bf16"]  # transformers autocasts on the CPU only when told
    assert precision_of(planned) == ("bf16" if planned["bf16"] else "fp32")
    assert plan_arguments({}, rows=2500, train_rows=1500, seed=1, use_gpu=False, bf16=False)["bf16"] is False
    assert precision_of(plan_arguments({"bf16": False}, rows=9, train_rows=4, seed=1, use_gpu=False)) == "fp32"
    assert plan_arguments({}, rows=9, train_rows=4, seed=1, use_gpu=False)["per_device_train_batch_size"] == 4


@pytest.mark.parametrize(("request_values", "selects"), [
    ({"num_train_epochs": 1}, False), ({"num_train_epochs": 1, "eval_strategy": "steps"}, False),
    ({}, True), ({"num_train_epochs": 5}, True), ({"num_train_epochs": 5, "eval_strategy": "no"}, False),
    ({"num_train_epochs": 5, "load_best_model_at_end": False}, False),
    ({"num_train_epochs": 1, "load_best_model_at_end": True, "eval_strategy": "steps"}, True)])
def test_the_best_checkpoint_is_kept_when_more_than_one_epoch_is_trained_or_asked_for(request_values, selects):
    assert selects_best(request_values) is selects
    planned = plan_arguments(request_values, rows=100, train_rows=80, seed=1, use_gpu=False)
    assert planned["load_best_model_at_end"] is selects
    if selects:  # evaluated and saved alike, the lowest validation loss kept
        assert planned["save_strategy"] == planned["eval_strategy"] != "no"
        assert planned["metric_for_best_model"] == "loss" and planned["save_total_limit"] == 1
    else:
        assert planned["save_strategy"] == "no"


def test_validation_rows_are_a_stratified_tenth_of_the_training_rows():
    labels = [i % 5 for i in range(200)]
    train, _ = stratified_split(labels, 0.5, seed=3)
    kept, held = hold_out(labels, train, seed=3)
    assert sorted(kept + held) == sorted(train) and len(held) == 10
    assert Counter(labels[i] for i in held) == {c: 2 for c in range(5)}


def test_class_weights_are_balanced_on_by_default_and_a_request_turns_them_off():
    rows = [{"labels": label} for label in [0] * 6 + [1] * 3 + [2] * 3]
    assert balanced_weights(rows, 4) == [12 / (3 * 6), 12 / (3 * 3), 12 / (3 * 3), 1.0]
    fields = {"columns": "a,b", "table": "t"}
    assert parse_request(fields | {"class_weights": "false"}).class_weights is False
    assert parse_request(fields).class_weights is True and "class_weights" not in parse_request(fields).training_keys
    with pytest.raises(TrainRequestError, match="class_weights must be true or false, got 'yes'"):
        parse_request(fields | {"class_weights": "yes"})


def test_per_class_scores_and_tokens_computed():
    scores = class_scores([[3, 1, 0], [0, 0, 0], [1, 0, 2]])
    assert scores["precision"] == [0.75, 0.0, 1.0] and scores["recall"] == [0.75, 0.0, 0.6667]
    assert scores["f1"] == [0.75, 0.0, 0.8] and scores["support"] == [4, 0, 3] and scores["predicted"] == [4, 1, 2]
    rows = [{"input_ids": [0] * n} for n in (5, 1, 3, 2)]
    assert padded_tokens(rows, 2) == 2 * 2 + 5 * 2  # (1, 2) padded to 2, (3, 5) padded to 5
    assert seed_recipe_tokens(rows=16, test_rows=4, epochs=2) == 512 * (32 + 8)


def test_output_dir_stays_under_the_model_path_and_the_seeds_path_maps_there(tmp_path):
    root = tmp_path.resolve()
    assert confine_output_dir("/irisdev/app/src/model/checkpoints", tmp_path) == root / "checkpoints"
    assert confine_output_dir(str(tmp_path / "out"), tmp_path) == root / "out"
    assert confine_output_dir("ckpt", tmp_path) == root / "ckpt"
    assert confine_output_dir(None, tmp_path) == root / "checkpoints"
    (tmp_path / "link").symlink_to("/etc")
    for outside in ("/etc/x", "../../..", "a/../../b", "link/x", ".", "/irisdev/app/src/model/../../x", 5):
        with pytest.raises(TrainRequestError, match="output_dir must be a folder"):
            confine_output_dir(outside, tmp_path)


@pytest.mark.parametrize(("value", "expected"), [(20, 20), (20.0, 20), ("20", 20), (" 7 ", 7)])
def test_whole_numbers_from_json(value, expected):
    assert whole_number("limit", value) == expected


@pytest.mark.parametrize("value", ["1e3", 1e30, True, False, 0, -1, 2.5, "abc", None, float("nan"), [3], "--1"])
def test_what_is_not_a_whole_number_is_refused_by_name(value):
    with pytest.raises(TrainRequestError, match=r"^limit must be a whole number from 1 to \d+, got "):
        whole_number("limit", value)


def test_training_values_are_typed_from_training_arguments_and_bounded():
    limits = TrainingLimits(max_epochs=10, max_steps=50)
    assert check_training_values({"learning_rate": "0.01", "num_train_epochs": 2, "fp16": "false",
                                  "eval_strategy": "steps", "max_steps": -1, "eval_steps": None}, limits) == {
        "learning_rate": 0.01, "num_train_epochs": 2.0, "fp16": False, "eval_strategy": "steps", "max_steps": -1,
        "eval_steps": None}
    refused = [({"learning_rate": "abc"}, "learning_rate must be a number, got 'abc'"),
               ({"learning_rate": float("inf")}, "learning_rate must be a number"),
               ({"num_train_epochs": True}, "num_train_epochs must be a number, got True"),
               ({"num_train_epochs": 11}, "num_train_epochs must be at most 10 (the max_epochs setting), got 11"),
               ({"max_steps": 51}, "max_steps must be -1 (from the epochs) or from 1 to 50"),
               ({"max_steps": 0}, "max_steps must be -1"),
               ({"warmup_steps": -2}, "warmup_steps must be 0 or more"),
               ({"seed": 2**40}, "seed must be a whole number from"),
               ({"learning_rate": None}, "learning_rate must be a number, got None")]
    for values, message in refused:
        with pytest.raises(TrainRequestError, match=re.escape(message)):
            check_training_values(values, limits)


def test_split_is_stratified_shuffled_and_reproducible():
    labels = [0] * 50 + [1] * 30 + [2] * 20  # sorted, as a table ordered by label would be
    train, test = stratified_split(labels, 0.8, seed=1)
    assert sorted(train + test) == list(range(100))
    assert Counter(labels[i] for i in test) == {0: 10, 1: 6, 2: 4}
    assert test != sorted(test)
    assert stratified_split(labels, 0.8, seed=1) == (train, test)
    assert stratified_split(labels, 0.8, seed=2) != (train, test)


def test_split_of_few_rows_keeps_a_training_row_per_class():
    labels = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    train, test = stratified_split(labels, 0.8, seed=0)
    assert len(test) == 2 and len(train) == 8
    assert {labels[i] for i in train} == {0, 1, 2, 3, 4}


def test_labels_one_to_k_become_ids_and_text_labels_get_a_map():
    ids, label_map = encode_labels([1, 5, 3], num_labels=5)
    assert ids == [0, 4, 2] and label_map.label2id["5"] == 4
    ids, label_map = encode_labels(["pos", "neg", "pos"], num_labels=2)
    assert ids == [1, 0, 1] and label_map.id2label == {0: "neg", 1: "pos"}
    id2label, label2id = label_map.for_config(3)
    assert id2label == {0: "neg", 1: "pos", 2: "LABEL_2"}
    # a model trained before keeps its ids for the same names
    ids, _ = encode_labels(["neg", "pos"], num_labels=2, known={"pos": 0, "neg": 1})
    assert ids == [1, 0]


def test_labels_out_of_range_are_refused():
    with pytest.raises(LabelError, match="1..5"):
        encode_labels([1, 7], num_labels=5)
    with pytest.raises(LabelError, match="3 distinct labels"):
        encode_labels(["a", "b", "c"], num_labels=2)


def test_progress_lines_are_throttled_but_evaluations_and_the_end_always_logged():
    now = [0.0]
    lines: list[str] = []
    progress = ProgressLogger(lines.append, every_s=5.0, clock=lambda: now[0])
    args = SimpleNamespace(num_train_epochs=1, per_device_train_batch_size=4, learning_rate=0.01)
    state = SimpleNamespace(max_steps=10, global_step=0, epoch=0.0)
    progress.on_train_begin(args, state, None)
    for step in range(1, 11):
        now[0] = step * 1.0
        state.global_step, state.epoch = step, step / 10
        progress.on_log(args, state, None, logs={"loss": 2.0 - step / 10, "learning_rate": 0.01})
    progress.on_evaluate(args, state, None, metrics={"eval_loss": 1.0, "eval_accuracy": 0.5, "eval_runtime": 0.1})
    progress.on_train_end(args, state, None)
    step_lines = [line for line in lines if line.startswith("step=")]
    assert [line.split()[0] for line in step_lines] == ["step=1/10", "step=6/10", "step=10/10"]
    assert "ETA 0m05s" in step_lines[0] or "ETA 0m09s" in step_lines[0]
    assert any("eval_accuracy=0.5000" in line and "runtime" not in line for line in lines)
    assert lines[-1].startswith("training done: step=10")


def _model(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(marker)
    return folder


def test_exchange_swaps_two_folders(tmp_path):
    first, second = _model(tmp_path / "a", "A"), _model(tmp_path / "b", "B")
    if not exchange(first, second):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported here")
    assert (first / "config.json").read_text() == "B" and (second / "config.json").read_text() == "A"


def test_promotions_keep_a_bounded_number_of_versions_and_rollback_walks_back(tmp_path):
    _model(tmp_path / "m", "v0")
    with pytest.raises(NoTemporaryModelError, match="No temporary model detected, run a training first."):
        promote(tmp_path, "m")
    for version in range(1, 5):
        save_temporary(tmp_path, "m", lambda folder, v=version: _model(folder, f"v{v}"))
        promote(tmp_path, "m", keep_versions=2)
    assert (tmp_path / "m" / "config.json").read_text() == "v4"
    assert [(p / "config.json").read_text() for p in list_versions(tmp_path, "m")] == ["v2", "v3"]
    rollback(tmp_path, "m")
    assert (tmp_path / "m" / "config.json").read_text() == "v3"
    assert (tmp_path / "temp-m" / "config.json").read_text() == "v4"
    rollback(tmp_path, "m")  # temp-m is taken: v3 goes to the set-aside folder
    assert (tmp_path / "m" / "config.json").read_text() == "v2"
    assert list_versions(tmp_path, "m") == []
    assert not any(p.name.endswith(".incomplete") for p in tmp_path.iterdir())


def test_a_failed_save_leaves_no_temporary_model(tmp_path):
    def broken(folder: Path) -> None:
        folder.mkdir()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_temporary(tmp_path, "m", broken)
    assert list(tmp_path.iterdir()) == []


def test_length_buckets_give_aligned_batches_of_similar_lengths_in_a_new_order_each_epoch():
    from mlcore.tuning.sampling import ShuffledLengthBuckets

    lengths = [(i * 37) % 101 + 1 for i in range(95)]
    sampler = ShuffledLengthBuckets(lengths, batch_size=10, seed=3, batches_per_bucket=4)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(95)) and first != second
    batches = [first[i:i + 10] for i in range(0, 95, 10)]
    assert [len(b) for b in batches] == [10] * 9 + [5]  # only the last batch is short
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches[:-1]) / 9
    assert spread < 35  # random batches of these lengths spread over ~90
    assert list(ShuffledLengthBuckets(lengths, batch_size=10, seed=3, batches_per_bucket=4)) == first


def test_a_classifier_trains_without_attention_dropout_and_is_saved_with_its_own(tmp_path):
    from transformers import AutoConfig

    from mlcore.tuning import load_classifier
    from support.tiny_models import build_text_classifier

    folder = build_text_classifier(tmp_path / "tiny")
    own = AutoConfig.from_pretrained(folder)
    model, _ = load_classifier(folder, 5)
    attention = model.bert.encoder.layer[0].attention
    assert attention.self.dropout.p == 0.0  # PyTorch's fused attention needs no dropout
    assert attention.output.dropout.p == own.hidden_dropout_prob > 0  # the other dropouts stay
    model.save_pretrained(tmp_path / "saved")
    assert AutoConfig.from_pretrained(tmp_path / "saved").attention_probs_dropout_prob == \
        own.attention_probs_dropout_prob > 0
    # a setting that names it (a TuningOperation %settings line) keeps it on
    kept, _ = load_classifier(folder, 5, {"attention_probs_dropout_prob": 0.2})
    assert kept.bert.encoder.layer[0].attention.self.dropout.p == 0.2


def test_the_advice_says_when_the_test_rows_are_too_few_to_tell_the_models_apart():
    # the seed's request tests on 4 rows: one row more right is 0.25 of accuracy
    close = advise({"accuracy": 0.5, "f1_macro": 0.2}, {"accuracy": 0.75, "f1_macro": 0.4}, test_rows=4,
                   folder="temp-m", learning_rate=1e-4)
    assert close.startswith("The new model scored better on the 4 test rows (accuracy 0.750 against 0.500")
    assert "on 4 test rows a difference under about 0.48 can be chance" in close
    assert close.endswith("send an OverrideRequest to keep the new model.")
    worse = advise({"accuracy": 0.56, "f1_macro": 0.3}, {"accuracy": 0.54, "f1_macro": 0.3}, test_rows=300,
                   folder="temp-m", learning_rate=1e-4)
    assert "on 300 test rows a difference under about 0.06 can be chance" in worse
    assert "do not send an OverrideRequest" in worse
    clear = advise({"accuracy": 0.12, "f1_macro": 0.05}, {"accuracy": 0.55, "f1_macro": 0.27}, test_rows=300,
                   folder="temp-m", learning_rate=1e-4)
    assert "can be chance" not in clear and "send an OverrideRequest to keep the new model" in clear
