"""Tiny twins of the seed's models (random weights, the same architectures: DETRs with a timm
backbone included), served by a local hub under the seed's repository names, so that the seed's
own ``settings.py`` runs unchanged and offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from support import tiny_models, tiny_vision_models
from support.hub_server import HubRepo, HubServer
from support.reviews import review_rows

#: The production of src/python/settings.py whose items the seed's requests target.
SEED_PRODUCTION = "iris.Production"


def _classifier(folder: Path) -> Path:
    corpus = [text for _, text in review_rows(per_label=12)]
    return tiny_models.build_text_classifier(folder, num_labels=5, extra_corpus=corpus * 3)


#: Repository of each seed item's model_url → how its tiny twin is built.
SEED_TWINS: dict[str, Callable[[Path], Path]] = {
    "gpt2": tiny_models.build_text_generation,
    "Jean-Baptiste/camembert-ner": tiny_models.build_ner,
    "bert-base-uncased": tiny_models.build_fill_mask,
    "facebook/detr-resnet-50": lambda folder: tiny_vision_models.build_object_detection(folder, timm_backbone=True),
    "facebook/detr-resnet-50-panoptic": lambda folder: tiny_vision_models.build_panoptic_segmentation(
        folder, timm_backbone=True),
    "bert-base-cased": _classifier,
}


def build_seed_twins(folder: Path) -> dict[str, Path]:
    """Each seed model's twin in ``folder/<repo>``."""
    return {repo: build(folder / repo) for repo, build in SEED_TWINS.items()}


def serve_seed_twins(hub: HubServer, twins: dict[str, Path]) -> HubServer:
    for repo, folder in twins.items():
        hub.add(HubRepo.from_folder(repo, folder))
    return hub


def enable_items(data: Path, items: list[str], production: str = SEED_PRODUCTION) -> None:
    """Enable ``items`` before the host starts, as the portal's Enable records it (its change file)."""
    data.mkdir(parents=True, exist_ok=True)
    changes = {"productions": {production: {item: {"enabled": True} for item in items}}}
    (data / "production-changes.json").write_text(json.dumps(changes))
