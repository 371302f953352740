"""The suite's fixtures (helpers are in ``support``) and its markers, applied from what a test uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers' asserts are rewritten too: registered before anything imports them.
pytest.register_assert_rewrite("support")

from support.checkout import ROOT, use_checkout  # noqa: E402

use_checkout()

from support import tiny_models, tiny_vision_models  # noqa: E402  (the checkout is on sys.path from here)
from support.browser import headless_chromium  # noqa: E402
from support.fake_inference_api import serve_inference_api  # noqa: E402
from support.hub_layouts import TINY_BERT, TINY_GPT2, UNNEEDED_FILES  # noqa: E402
from support.hub_server import HubRepo, HubServer  # noqa: E402
from support.reviews import MODEL_NAME, fill_reviews, review_rows  # noqa: E402

# The plugin this project ships; once the package is installed its pytest11 entry point has loaded
# it under this same name, and this line adds nothing.
#: A test using one of these fixtures gets the marker.
MARKED_BY_FIXTURE = {
    "browser": "browser",
    "postgres_url": "postgres",
    "portal_host": "process", "portal_server": "process",
    "iop_launcher": "process", "iop_production": "process", "iop_start": "process",
}


#: Tests that take more than a few seconds each on a 2-core machine (``pytest --durations``): training,
#: a host with a model per test, signals and restarts, the iop CLI; by module, or one test by name.
SLOW = (
    "test_tuning.py", "test_tuning_processes.py", "test_bench_tuning_summary.py", "test_portal_web.py",
    "host/test_host_tuning_start.py", "host/test_host_shutdown.py", "host/test_host_serving.py",
    "host/test_host_hostile_input.py", "host/test_host_iop_cli.py", "host/test_host_faults.py",
    "host/test_host_change_file.py", "host/test_host_promises.py",
    "host/test_host_store.py::test_a_database_locked_by_another_writer_delays_messages_but_loses_none",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    host_tests = ROOT / "tests" / "host"
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for name in {MARKED_BY_FIXTURE[f] for f in fixtures & MARKED_BY_FIXTURE.keys()}:
            item.add_marker(name)
        where = item.nodeid.removeprefix("tests/")
        if any(where == slow or where.startswith(slow + "::") for slow in SLOW):
            item.add_marker("slow")
        if item.path.is_relative_to(host_tests) and item.path.name.startswith("test_host_"):  # the host, for real
            item.add_marker("process")


# -- models ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny-gpt2``, a random text-generation model, alone in its model root (``tiny_gpt2.parent``)."""
    return tiny_models.build_text_generation(tmp_path_factory.mktemp("tiny-gpt2") / "tiny-gpt2")


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory, tiny_gpt2: Path) -> Path:
    """A model cache folder (the ``path`` setting) holding tiny models, one per text task."""
    root = tmp_path_factory.mktemp("model")
    shutil.copytree(tiny_gpt2, root / "tiny-gpt2")
    tiny_models.build_fill_mask(root / "tiny-bert")
    tiny_models.build_ner(root / "tiny-ner")
    tiny_models.build_text_classifier(root / "tiny-classifier")
    return root


@pytest.fixture(scope="session")
def vision_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache folder holding tiny vision models: detection, panoptic segmentation, classification."""
    root = tmp_path_factory.mktemp("vision-models")
    tiny_vision_models.build_object_detection(root / "tiny-detr")
    tiny_vision_models.build_panoptic_segmentation(root / "tiny-detr-panoptic")
    tiny_vision_models.build_image_classification(root / "tiny-vit")
    return root


@pytest.fixture(scope="session")
def tiny_reviews_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 5-label BERT classifier (random weights) with a tokenizer trained on the review words."""
    folder = tmp_path_factory.mktemp("tiny-model") / MODEL_NAME
    corpus = [text for _, text in review_rows(per_label=12)]
    return tiny_models.build_text_classifier(folder, num_labels=5, extra_corpus=corpus * 3)


@pytest.fixture
def model_path(tmp_path: Path, tiny_reviews_model: Path) -> Path:
    """A fresh model path (the ``path`` setting) holding a copy of the tiny classifier."""
    root = tmp_path / "model"
    shutil.copytree(tiny_reviews_model, root / MODEL_NAME)
    return root


# -- the hub and the hosted inference API -----------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_bert_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_fill_mask(tmp_path_factory.mktemp("hub-src") / "tiny-bert")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gpt2: Path, tiny_bert_folder: Path) -> Iterator[HubServer]:
    """A local hub with ``test-org/tiny-gpt2`` (plus unneeded formats) and ``test-org/tiny-bert``,
    selected by ``HF_ENDPOINT``; online, no token."""
    from huggingface_hub import constants

    # huggingface_hub fetches a telemetry registry from the endpoint it read at import: keep tests off the internet.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    with HubServer() as server:
        server.add(HubRepo.from_folder(TINY_GPT2, tiny_gpt2, extra=UNNEEDED_FILES))
        server.add(HubRepo.from_folder(TINY_BERT, tiny_bert_folder))
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        for name in ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        yield server


@pytest.fixture(scope="module")
def api_base() -> Iterator[str]:
    """Base URL of a local stand-in for the hosted inference API."""
    with serve_inference_api() as url:
        yield url


# -- databases ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a real PostgreSQL server on 127.0.0.1, started once per test session."""
    from support.postgres import postgres_server

    try:
        server = postgres_server()
        url = server.__enter__()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield url
    server.__exit__(None, None, None)


@pytest.fixture
def sqlite_reviews(tmp_path: Path) -> str:
    """URL of a SQLite database whose ``iris.Review`` holds 60 labelled reviews."""
    return fill_reviews(f"sqlite:///{tmp_path / 'db' / 'iris.sqlite'}", review_rows())


@pytest.fixture
def postgres_reviews(postgres_url: str) -> str:
    """URL of the test PostgreSQL server, its ``iris.Review`` refilled with 60 labelled reviews."""
    return fill_reviews(postgres_url, review_rows())


# -- the portal -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator:
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def portal_host(tmp_path: Path, model_root: Path) -> Iterator:
    """The host core in this process (workers, store) serving the portal tests' production."""
    from support.portal_host import close_host, make_host

    host = make_host(tmp_path, model_root)
    yield host
    close_host(host)


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory, model_root: Path) -> Iterator:
    """The real ``iophost start`` (workers, store, REST API, portal) serving the portal tests' production."""
    from iophost.testing import HostProcess
    from support.portal_host import PASSWORD, USERNAME, write_settings

    folder = tmp_path_factory.mktemp("portal")
    running = HostProcess(write_settings(folder / "production", model_root), folder / "data",
                          env={"IOPHOST_USERNAME": USERNAME, "IOPHOST_PASSWORD": PASSWORD})
    yield running.start()
    running.stop()
