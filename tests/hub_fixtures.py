"""Fixtures for hub downloads and image tasks: a local hub serving tiny models, and tiny vision models.

Load them in a test module with ``pytest_plugins = ["hub_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tiny_models
import tiny_vision_models
from hub_layouts import TINY_BERT, TINY_GPT2, UNNEEDED_FILES
from hub_server import HubRepo, HubServer


@pytest.fixture(scope="session")
def tiny_gpt2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_text_generation(tmp_path_factory.mktemp("hub-src") / "tiny-gpt2")


@pytest.fixture(scope="session")
def tiny_bert_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_fill_mask(tmp_path_factory.mktemp("hub-src") / "tiny-bert")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gpt2_folder: Path, tiny_bert_folder: Path) -> Iterator[HubServer]:
    """A local hub with ``test-org/tiny-gpt2`` (plus unneeded formats) and ``test-org/tiny-bert``,
    selected by ``HF_ENDPOINT``; online, no token."""
    from huggingface_hub import constants

    # huggingface_hub fetches a telemetry registry from the endpoint it read at import: keep tests off the internet.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    with HubServer() as server:
        server.add(HubRepo.from_folder(TINY_GPT2, tiny_gpt2_folder, extra=UNNEEDED_FILES))
        server.add(HubRepo.from_folder(TINY_BERT, tiny_bert_folder))
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        for name in ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        yield server


@pytest.fixture(scope="session")
def vision_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache folder holding tiny vision models: detection, panoptic segmentation, classification."""
    root = tmp_path_factory.mktemp("vision-models")
    tiny_vision_models.build_object_detection(root / "tiny-detr")
    tiny_vision_models.build_panoptic_segmentation(root / "tiny-detr-panoptic")
    tiny_vision_models.build_image_classification(root / "tiny-vit")
    return root
