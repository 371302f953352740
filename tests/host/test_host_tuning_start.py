"""On the real host: enable TuningOperation with a tiny model behind ``model_url`` and a database
without ``iris.Review``, start, and the seed's TrainRequest is answered with no manual step."""

from __future__ import annotations

import json
from pathlib import Path

from iophost.testing import HostProcess
from support.host_settings import write_settings
from support.hub_server import HubRepo, HubServer
from support.reviews import SEED_TRAIN_BODY

ITEMS = '''
from bo import TuningOperation
production.operation("Python.TuningOperation", TuningOperation, settings={{"%settings": "\\n".join([
    "model_url=https://huggingface.co/test-org/tiny-reviews", "path={models}", "num_labels=5",
    "db_url=sqlite:///{database}", "progress_seconds=0"])}})
'''


def test_a_seed_train_request_right_after_start_downloads_nothing_by_hand_and_loads_no_reviews_by_hand(
        tmp_path: Path, tiny_reviews_model: Path):
    settings = write_settings(tmp_path / "app", ITEMS.format(models=tmp_path / "model",
                                                             database=tmp_path / "db" / "iris.sqlite"))
    with HubServer() as hub:
        hub.add(HubRepo.from_folder("test-org/tiny-reviews", tiny_reviews_model))
        host = HostProcess(settings, tmp_path / "var")
        host.env.pop("HF_HUB_OFFLINE")
        host.env.update({"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_TELEMETRY": "1"})
        host.start()
        try:
            assert host.status()["items"] == {"Python.TuningOperation": "running"}
            answer = host.iop("--test", "Python.TuningOperation", "--classname", "msg.TrainRequest",
                              "--body", json.dumps(SEED_TRAIN_BODY), timeout=600)
            log = host.iop("--log", "200").stdout
        finally:
            assert host.stop() == 0
    assert "classname: msg.TrainResponse" in answer.stdout, answer.stdout + answer.stderr
    assert json.loads(answer.stdout.split("body:\n", 1)[1])["rows"] == 20
    assert "tiny-reviews: download complete" in log
    assert "iris.Review was missing: created and filled from" in log
