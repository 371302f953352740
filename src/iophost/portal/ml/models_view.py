"""The model path as the Models page shows it: each model with every version the ML core keeps of it.

Folder names come from :mod:`mlcore.layout` (the ML core's own conventions), so the page lists
what Override promotes (``temp-<name>``), what Rollback restores (``.versions/<name>/<stamp>``,
newest first), what a rollback or a re-download set aside, and the Trainer's checkpoints; a trained
model's card (``README.md``) goes with its folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mlcore import layout

IN_USE = "in use"
TEMPORARY = "trained, not promoted (Override promotes it)"
BACKUP = "backup (Rollback restores the newest)"
SET_ASIDE = "set aside by a rollback"
PREVIOUS = "replaced by a new download"
CHECKPOINT = "checkpoint"


@dataclass
class ModelFile:
    path: str
    size: int


@dataclass
class ModelFolder:
    """One folder of a model: the one in use or a version of it."""

    name: str
    path: str
    role: str
    size: int
    modified: str
    files: list[ModelFile] = field(default_factory=list)
    model_type: str = ""
    #: The model card (``README.md``) a training wrote, as text; empty when the folder has none.
    card: str = ""


@dataclass
class ModelEntry:
    """A model name and its folders, the one in use first."""

    name: str
    folders: list[ModelFolder] = field(default_factory=list)


def _model_type(path: Path) -> str:
    try:
        data = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("model_type") or ",".join(data.get("architectures") or []))


#: A card longer than this is cut on the page (the file holds it all).
CARD_SHOWN_CHARS = 20_000


def _card(path: Path) -> str:
    try:
        return (path / layout.MODEL_CARD).read_text(encoding="utf-8", errors="replace")[:CARD_SHOWN_CHARS]
    except OSError:
        return ""


def _folder(path: Path, root: Path, role: str) -> ModelFolder:
    files = sorted((p for p in path.rglob("*") if p.is_file()), key=str)
    listed = [ModelFile(str(p.relative_to(path)), p.stat().st_size) for p in files]
    newest = max((p.stat().st_mtime for p in files), default=path.stat().st_mtime)
    return ModelFolder(name=path.name, path=str(path.relative_to(root)), role=role, files=listed,
                       size=sum(f.size for f in listed), model_type=_model_type(path), card=_card(path),
                       modified=datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M:%S"))


def _model_names(root: Path) -> list[str]:
    """Names with a model in use, a trained model waiting, or kept versions."""
    names = {p.name for p in root.iterdir() if p.is_dir() and layout.is_model_folder_name(p.name)}
    names |= {p.name.removeprefix(layout.TEMP_PREFIX) for p in root.glob(f"{layout.TEMP_PREFIX}*")
              if p.is_dir() and not p.name.endswith(layout.INCOMPLETE_SUFFIX)}
    versions = root / layout.VERSIONS_DIR
    if versions.is_dir():
        names |= {p.name for p in versions.iterdir() if p.is_dir()}
    return sorted(names)


def _entry(root: Path, name: str) -> ModelEntry:
    candidates = [(root / name, IN_USE), (layout.temporary_dir(root, name), TEMPORARY),
                  *((p, BACKUP) for p in reversed(layout.list_versions(root, name))),
                  *((p, SET_ASIDE) for p in reversed(layout.set_aside_versions(root, name))),
                  (root / f"{name}{layout.PREVIOUS_SUFFIX}", PREVIOUS)]
    return ModelEntry(name, [_folder(path, root, role) for path, role in candidates if path.is_dir()])


def _checkpoints(root: Path) -> list[ModelFolder]:
    folder = root / layout.CHECKPOINTS_DIR
    found = sorted(folder.glob(f"{layout.CHECKPOINT_PREFIX}*")) if folder.is_dir() else []
    return [_folder(path, root, CHECKPOINT) for path in found if path.is_dir()]


def list_models(model_path: Path) -> tuple[list[ModelEntry], list[ModelFolder]]:
    """The models under ``model_path`` with their versions, and the Trainer's checkpoints there."""
    root = Path(model_path)
    if not root.is_dir():
        return [], []
    return [_entry(root, name) for name in _model_names(root)], _checkpoints(root)
