"""The model cache as the Models page shows it: one entry per model folder, with size and files.

A folder is a model when it holds a ``config.json`` (or any file); folders that are other
versions of a model (``temp-<name>`` kept aside by a training, ``<name>.previous`` or
``<name>-backup-*`` kept by a promotion, ``checkpoint-*`` inside) are listed under it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_VERSION_PATTERNS = (
    re.compile(r"^temp-(?P<base>.+)$"),
    re.compile(r"^(?P<base>.+?)[.@-](previous|old|bak|backup.*|v\d+.*|\d{8,}.*)$"))


@dataclass
class ModelFile:
    path: str
    size: int


@dataclass
class ModelFolder:
    """One model folder under the model path."""

    name: str
    size: int
    modified: str
    files: list[ModelFile] = field(default_factory=list)
    model_type: str = ""
    versions: list[ModelFolder] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "modified": self.modified, "model_type": self.model_type,
                "files": [vars(f) for f in self.files], "versions": [v.to_dict() for v in self.versions]}


def _folder(path: Path, name: str) -> ModelFolder:
    files = sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: str(p))
    listed = [ModelFile(str(p.relative_to(path)), p.stat().st_size) for p in files]
    newest = max((p.stat().st_mtime for p in files), default=path.stat().st_mtime)
    model_type = ""
    config = path / "config.json"
    if config.is_file():
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
            model_type = str(data.get("model_type") or ",".join(data.get("architectures") or []))
        except (OSError, ValueError):
            model_type = ""
    folder = ModelFolder(name=name, size=sum(f.size for f in listed), files=listed, model_type=model_type,
                         modified=datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M:%S"))
    for checkpoint in sorted(path.glob("checkpoint-*")):
        if checkpoint.is_dir():
            folder.versions.append(_folder(checkpoint, f"{name}/{checkpoint.name}"))
    return folder


def version_of(name: str) -> str | None:
    """The model a folder name is another version of, or None (``temp-bert`` → ``bert``)."""
    for pattern in _VERSION_PATTERNS:
        match = pattern.match(name)
        if match:
            return match.group("base")
    return None


def list_models(model_path: Path) -> list[ModelFolder]:
    """Model folders under ``model_path`` (hidden and ``.incomplete`` folders left out)."""
    root = Path(model_path)
    if not root.is_dir():
        return []
    folders = [p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")
               and not p.name.endswith(".incomplete")]
    names = {p.name for p in folders}
    models: dict[str, ModelFolder] = {}
    pending: list[tuple[str, Path]] = []
    for path in folders:
        base = version_of(path.name)
        if base is not None and base in names:
            pending.append((base, path))
        else:
            models[path.name] = _folder(path, path.name)
    for base, path in pending:
        models[base].versions.append(_folder(path, path.name))
    return list(models.values())
