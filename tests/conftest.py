from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
for path in (ROOT / "src" / "python", ROOT / "src", TESTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
# Worker processes fork from a forkserver whose preload (Python 3.11) ignores the parent's sys.path:
# without this, an installed copy of the packages would run in the workers instead of this checkout's.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT / "src" / "python"), str(ROOT / "src"), str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])])

# Helper modules that test modules import before pytest loads them as plugins: their asserts
# are rewritten only when registered before anything imports them.
pytest.register_assert_rewrite("tuning_fixtures", "fake_inference_api", "hub_fixtures")

import tiny_models  # noqa: E402  (sys.path is set above)


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache folder (the ``path`` setting) holding tiny models, one per text task."""
    root = tmp_path_factory.mktemp("model")
    tiny_models.build_text_generation(root / "tiny-gpt2")
    tiny_models.build_fill_mask(root / "tiny-bert")
    tiny_models.build_ner(root / "tiny-ner")
    tiny_models.build_text_classifier(root / "tiny-classifier")
    return root


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of a real PostgreSQL server on 127.0.0.1, started once per test session."""
    from postgres import postgres_server

    try:
        server = postgres_server()
        url = server.__enter__()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield url
    server.__exit__(None, None, None)
