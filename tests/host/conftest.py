"""Fixtures of the host's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model root holding ``tiny-gpt2``, a random text-generation model."""
    import tiny_models

    root = tmp_path_factory.mktemp("host-models")
    tiny_models.build_text_generation(root / "tiny-gpt2")
    return root
