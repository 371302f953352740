"""MLOperation on tiny local models, driven with the seed's JSON bodies."""

from __future__ import annotations

import json
import logging

import pytest

import bo
from msg import MLResponse
from support.components import call, started


def _settings(model_root, name, task, *extra):
    return "\n".join([f"name={name}", f"path={model_root}", f"task={task}", *extra])


def test_text_generation_with_the_seeds_request(model_root):
    op = started(bo.MLOperation, _settings(model_root, "tiny-gpt2", "text-generation"))
    response = call(op, "msg.MLRequest",
                    '{"text_inputs": "George Washington lived", "max_length": 30, "num_return_sequences": 3}')
    assert isinstance(response, MLResponse)
    assert len(response.output) == 3
    for sequence in response.output:
        assert sequence["generated_text"].startswith("George Washington lived")
    json.dumps(response.output)
    assert any("text-generation pipeline ready" in m for m in op.log_records.messages(logging.INFO))


def test_fill_mask_ranks_tokens(model_root):
    op = started(bo.MLOperation, _settings(model_root, "tiny-bert", "fill-mask", "top_k=4"))
    response = call(op, "msg.MLRequest", {"inputs": "George Washington lived in [MASK]."})
    scores = [candidate["score"] for candidate in response.output]
    assert len(scores) == 4  # top_k came from %settings as the int 4
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(c["token_str"], str) and "sequence" in c for c in response.output)


def test_ner_returns_entity_groups(model_root):
    op = started(bo.MLOperation, _settings(model_root, "tiny-ner", "ner", "aggregation_strategy=simple"))
    response = call(op, "msg.MLRequest", {"inputs": "George Washington lived in washington"})
    assert response.output, "expected at least one entity group"
    group = response.output[0]
    assert group["entity_group"] == "PER"
    assert "george" in group["word"]
    assert isinstance(group["score"], float)
    json.dumps(response.output)


def test_text_classification(model_root):
    op = started(bo.MLOperation, _settings(model_root, "tiny-classifier", "text-classification", "top_k=none"))
    response = call(op, "msg.MLRequest", {"inputs": "This was a really bad experience"})
    entries = response.output[0] if isinstance(response.output[0], list) else response.output
    assert {entry["label"] for entry in entries} == {f"LABEL_{i}" for i in range(5)}
    assert abs(sum(entry["score"] for entry in entries) - 1.0) < 1e-4


def test_missing_model_folder_fails_start_with_a_clear_logged_error(tmp_path):
    with pytest.raises(Exception, match="no model folder at .*absent"):
        started(bo.MLOperation, _settings(tmp_path, "absent", "text-generation"))


def test_missing_task_is_named(model_root):
    with pytest.raises(Exception, match="setting 'task' is required"):
        started(bo.MLOperation, f"name=tiny-gpt2\npath={model_root}")


@pytest.mark.parametrize(("fields", "message"), [
    ({"num_return_sequences": 1e6}, "num_return_sequences must be a whole number from 1 to 2 "
                                    "(the max_return_sequences setting), got 1000000.0"),
    ({"num_return_sequences": "1e3"}, "num_return_sequences must be a whole number from 1 to 2"),
    ({"max_new_tokens": 10**9}, "max_new_tokens must be a whole number from 1 to 2048 (the max_answer_tokens"),
    ({"max_length": True}, "max_length must be a whole number"),
    ({"text_inputs": ["a"] * 65}, "text_inputs holds 65 inputs; at most 64 (the max_inputs setting)"),
])
def test_requests_asking_for_too_much_output_are_refused_by_name(model_root, fields, message):
    op = started(bo.MLOperation, _settings(model_root, "tiny-gpt2", "text-generation", "max_return_sequences=2"))
    with pytest.raises(ValueError) as refused:
        call(op, "msg.MLRequest", {"text_inputs": "George", **fields})
    assert message in str(refused.value)
    assert len(call(op, "msg.MLRequest", {"text_inputs": "George", "max_new_tokens": 2,
                                          "num_return_sequences": 2}).output) == 2


def test_arguments_the_pipeline_rejects_give_a_clear_error(model_root):
    op = started(bo.MLOperation, _settings(model_root, "tiny-bert", "fill-mask"))
    with pytest.raises(ValueError, match="fill-mask"):
        call(op, "msg.MLRequest", {"inputs": "no mask token here"})
    # the component still serves the next request
    assert call(op, "msg.MLRequest", {"inputs": "lived in [MASK]."}).output


def test_a_batch_of_classifications_is_one_pipeline_call_and_answers_as_one_by_one(model_root):
    """Short texts share one call, sorted by length; each answer goes back to its own request."""
    from iophost.worker.component import batching, deliver_batch, load_message

    op = started(bo.MLOperation, _settings(model_root, "tiny-classifier", "text-classification", "batch_size=8"))
    assert batching(op) == (8, 0.005)
    calls = []
    pipeline = op._pipeline
    op._pipeline = lambda *args, **kwargs: calls.append(args) or pipeline(*args, **kwargs)
    op._pipeline.task, op._pipeline.tokenizer = pipeline.task, pipeline.tokenizer
    texts = ["great food", "cold soup and rude staff", "lovely evening"]
    answers = deliver_batch(op, [load_message("msg.MLRequest", {"inputs": text}) for text in texts])
    assert calls == [(sorted(texts, key=lambda text: len(pipeline.tokenizer(text)["input_ids"])),)]
    for text, answer in zip(texts, answers, strict=True):
        alone = pipeline(text)
        assert answer.output[0]["label"] == alone[0]["label"]
        assert answer.output[0]["score"] == pytest.approx(alone[0]["score"], abs=1e-5)


def test_a_batch_is_cut_into_sub_batches_of_similar_lengths():
    from mlcore.pipelines import PADDED_FLOOR, PADDING_SLACK, length_groups

    # Two short reviews share a call; the long ones are not padded up from them.
    assert length_groups([300, 20, 310, 25, 500]) == [[1, 3], [0, 2, 4]]
    lengths = [(index * 37) % 512 + 1 for index in range(64)]
    groups = length_groups(lengths)
    assert sorted(index for group in groups for index in group) == list(range(64))
    for group in groups:
        real = sum(lengths[index] for index in group)
        assert len(group) * max(lengths[index] for index in group) <= max((1 + PADDING_SLACK) * real, PADDED_FLOOR)
