"""The production definition, the messages and settings coercion, as IoP reads them; the production
itself on the local host through the pytest plugin, with tiny models and a fake hosted API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iophost.testing import ItemChange, RunningProduction
from iophost.worker.component import dump_message, load_message
from mlcore.coercion import coerce
from support.checkout import ROOT


def _project_settings():
    # by path: other tests put their own settings.py on sys.path
    import importlib.util

    spec = importlib.util.spec_from_file_location("project_settings", ROOT / "src/python/settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_holds_the_seeds_items():
    production = _project_settings().PRODUCTIONS[0]
    assert production.name == "iris.Production"
    items = {item.name: item for item in production.items}
    assert set(items) == {"HuggingFace API", "HuggingFace gpt2 local", "HuggingFace ner local",
                          "HuggingFace bert local", "HuggingFace Image resnet local",
                          "HuggingFace Image panoptic local", "Python.TuningOperation"}
    assert "TestingEnabled=\"true\"" in production.to_xml()
    ner = items["HuggingFace ner local"].host_settings["%settings"].splitlines()
    assert ner == ["name=camembert-ner", "model_url=https://huggingface.co/Jean-Baptiste/camembert-ner",
                   "task=ner", "aggregation_strategy=simple"]
    tasks = {name: dict(line.split("=", 1) for line in item.host_settings.get("%settings", "").splitlines())
             .get("task") for name, item in items.items()}
    assert tasks["HuggingFace Image resnet local"] == "object-detection"
    assert tasks["HuggingFace Image panoptic local"] == "image-segmentation"
    assert tasks["HuggingFace bert local"] == "fill-mask"


def test_iop_strict_validation_passes():
    iop = Path(sys.executable).with_name("iop")
    # This checkout's ML core (on PYTHONPATH, tests/conftest.py), not the one the virtual environment points at.
    result = subprocess.run([str(iop), "--migrate", str(ROOT / "src/python/settings.py"), "--dry-run",
                             "--strict-production-validation"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "iris.Production" in result.stdout and "iris.ReviewTriage" in result.stdout


@pytest.mark.parametrize("text, value", [
    ("5", 5), ("0.01", 0.01), ("true", True), ("False", False), ("none", None), ("simple", "simple"),
    ('["a", "b"]', ["a", "b"]), ('{"k": 1}', {"k": 1}), ("", ""),
])
def test_settings_are_coerced(text, value):
    assert coerce(text) == value


def test_seed_train_request_keeps_its_extra_keys():
    request = load_message("msg.TrainRequest", {
        "columns": "ReviewLabel,ReviewText", "table": "iris.Review", "limit": 20, "p_of_train": 0.8,
        "output_dir": "/irisdev/app/src/model/checkpoints", "evaluation_strategy": "steps",
        "learning_rate": 0.01, "num_train_epochs": 1})
    assert (request.columns, request.table, request.limit, request.p_of_train) == \
        ("ReviewLabel,ReviewText", "iris.Review", 20, 0.8)
    assert request.evaluation_strategy == "steps" and request.num_train_epochs == 1
    assert json.loads(dump_message(request))["learning_rate"] == 0.01


def test_empty_override_request():
    request = load_message("msg.OverrideRequest", "{}")
    assert type(request).__name__ == "OverrideRequest"


@pytest.fixture(scope="module")
def production(iop_launcher, model_root: Path) -> RunningProduction:
    """iris.Production as settings.py declares it, two local models pointed at tiny ones and enabled,
    the hosted inference API a recording fake."""
    def tiny(name: str) -> ItemChange:
        return ItemChange(settings={"name": name, "path": str(model_root), "model_url": ""}, enabled=True)

    return iop_launcher.start(ROOT / "src/python/settings.py", fakes=("HuggingFace API",), changes={
        "HuggingFace gpt2 local": tiny("tiny-gpt2"), "HuggingFace bert local": tiny("tiny-bert")})


def test_the_seeds_bodies_get_typed_answers_from_the_local_models(production: RunningProduction):
    generated = production.send("HuggingFace gpt2 local", load_message("msg.MLRequest", {
        "text_inputs": "George Washington lived", "max_length": 30, "num_return_sequences": 3}))
    assert type(generated).__name__ == "MLResponse" and generated.task == "text-generation"
    assert len(generated.output) == 3 and all("generated_text" in answer for answer in generated.output)
    filled = production.send("HuggingFace bert local",
                             load_message("msg.MLRequest", {"inputs": "George Washington lived in [MASK]."}))
    assert filled.model == "tiny-bert" and filled.output[0]["token_str"]
    assert production.session(production.last_session_id).path == [
        ("Request", "EnsLib.Testing.Service", "HuggingFace bert local"),
        ("Response", "HuggingFace bert local", "EnsLib.Testing.Service")]


def test_the_hosted_api_stands_in_as_a_fake_and_its_key_is_never_stored(production: RunningProduction):
    api = production.fakes["HuggingFace API"]
    answer = load_message("msg.HFResponse", {"payload": [{"generated_text": "more details"}], "api_url": "gpt2"})
    api.answer(answer)
    request = load_message("msg.HFRequest", {"api_url": "gpt2", "payload": "Can you", "api_key": "hf_kept_secret"})
    assert production.send("HuggingFace API", request) == answer
    assert api.requests == [request]
    stored = production.session(production.last_session_id).root
    assert stored.body["payload"] == "Can you" and "hf_kept_secret" not in json.dumps(stored.body)
