"""The metrics of the project's ML items, added to ``/api/monitor/metrics`` where the portal runs:
the model each item serves, and its trainings (runs, seconds, kWh). Read at scrape time from the
model folders (the model cache's download record) and from the stored training messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mlcore import layout

from ...monitor.metrics import PREFIX
from .. import catalog
from ..host_protocol import MessageQuery, PortalHost
from .training import metrics_table
from .training_runs import TRAIN_REQUEST, TRAIN_RESPONSE

#: How many of the newest trainings the seconds and kWh add up (a scrape stays a few queries).
TRAININGS_COUNTED = 1000
#: The statuses a training request can end in, or wait in.
TRAINING_STATUSES = ("Queued", "Delivered", "Completed", "Error", "Aborted")


def served_model(folder: Path) -> dict[str, str] | None:
    """Where the model in ``folder`` came from: the download record's repository, revision and
    commit, else (a promoted training, a local folder) none of those and the folder's time."""
    if not folder.is_dir():
        return None
    modified = datetime.fromtimestamp(folder.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        record = json.loads((folder / layout.DOWNLOAD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    return {"repository": str(record.get("repo_id", "")), "revision": str(record.get("revision", "")),
            "commit": str(record.get("commit", "")), "modified": modified,
            "source": "download" if record else "local or trained"}


class ModelCollector(Collector):
    """``iophost_model_info`` and ``iophost_training_*`` for the items of ``host``'s production."""

    def __init__(self, host: PortalHost) -> None:
        self.host = host

    def collect(self) -> Iterator[Metric]:
        production = self.host.production.name
        yield self._models(production)
        yield from self._trainings(production)

    def _models(self, production: str) -> Metric:
        info = GaugeMetricFamily(f"{PREFIX}_model_info", "1 for the model each item serves: where it came from "
                                 "(repository, revision, commit of the download) and when its folder last changed",
                                 labels=["production", "host", "model", "repository", "revision", "commit",
                                         "modified", "source"])
        for item in self.host.production.items:
            settings = catalog.percent_settings(item)
            name = settings.get("model_name") or settings.get("name")
            if not name:
                continue
            model = served_model(Path(settings.get("path") or self.host.model_path) / name)
            if model is not None:
                info.add_metric([production, item.name, name, model["repository"], model["revision"],
                                 model["commit"], model["modified"], model["source"]], 1)
        return info

    def _trainings(self, production: str) -> Iterator[Metric]:
        runs = GaugeMetricFamily(f"{PREFIX}_training_runs", "TrainRequests stored for the item, by status",
                                 labels=["production", "host", "status"])
        seconds = GaugeMetricFamily(f"{PREFIX}_training_seconds", "Wall seconds of the item's finished trainings",
                                    labels=["production", "host"])
        energy = GaugeMetricFamily(f"{PREFIX}_training_energy_kwh",
                                   "Energy (kWh) the item's finished trainings used, as codecarbon measured or "
                                   "estimated it", labels=["production", "host"])
        tuning = [item.name for item in self.host.production.items if catalog.is_tuning_item(item)]
        for name in tuning:
            for status in TRAINING_STATUSES:
                _, total = self.host.find_messages(MessageQuery(target=name, body_class=TRAIN_REQUEST, status=status,
                                                                limit=1))
                runs.add_metric([production, name, status], total)
            responses, _ = self.host.find_messages(MessageQuery(source=name, body_class=TRAIN_RESPONSE,
                                                                limit=TRAININGS_COUNTED))
            bodies = [r.body for r in responses if isinstance(r.body, dict)]
            seconds.add_metric([production, name], sum(float(b.get("duration_s") or 0) for b in bodies))
            energy.add_metric([production, name], sum(metrics_table(b).energy_kwh or 0.0 for b in bodies))
        yield from (runs, seconds, energy)
