"""The seed's DETR models (facebook/detr-resnet-50 and -panoptic) use a timm backbone: tiny DETRs
built the same way (random weights) are served by MLOperation on the local host. timm is a runtime
dependency (requirements.txt): without it this module fails to import, it is never skipped. The seed's
two DETR items themselves start on the local host in tests/host/test_image_rehearsal.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import timm  # noqa: F401  (a missing timm fails here, before any model is built)

import bo
from support import tiny_vision_models
from support.components import call, started

SAMPLE = "misc/000000039769.jpg"


@pytest.fixture(scope="module")
def timm_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("timm-models")
    tiny_vision_models.build_object_detection(root / "detr-timm", timm_backbone=True)
    tiny_vision_models.build_panoptic_segmentation(root / "detr-timm-panoptic", timm_backbone=True)
    return root


@pytest.mark.parametrize("name, task", [("detr-timm", "object-detection"),
                                        ("detr-timm-panoptic", "image-segmentation")])
def test_a_detr_with_a_timm_backbone_is_served_and_draws_its_result(timm_model_root, name, task):
    config = json.loads((timm_model_root / name / "config.json").read_text())
    assert config["backbone_config"]["model_type"] == "timm_backbone"
    op = started(bo.MLOperation, f"name={name}\npath={timm_model_root}\ntask={task}")
    response = call(op, "msg.MLRequest", {"url": SAMPLE})
    assert response.output and response.image_png_base64
    assert response.output[0]["label"] == "cat"
