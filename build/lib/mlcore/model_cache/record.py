"""The download record: a file in a model folder saying which repository, revision, commit and
files it holds. A start that finds the record and every file at its recorded size makes no
network request at all."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .selection import RemoteFile

RECORD_NAME = ".hub_download.json"


@dataclass
class DownloadRecord:
    """What a completed download put in a folder."""

    repo_id: str
    revision: str  # as the settings asked for it ("main" when none was given)
    commit: str  # the commit the files came from
    files: list[RemoteFile] = field(default_factory=list)
    completed: str = ""

    def matches(self, repo_id: str, revision: str) -> bool:
        """True when this record is for ``repo_id`` at ``revision`` (a branch, tag or commit)."""
        return self.repo_id == repo_id and revision in (self.revision, self.commit)

    def missing(self, folder: Path) -> list[RemoteFile]:
        """Recorded files absent from ``folder``."""
        return [f for f in self.files if not (Path(folder) / f.name).is_file()]

    def changed(self, folder: Path) -> list[RemoteFile]:
        """Recorded files present with another size: changed by someone (downloads land whole),
        so they are reported, never overwritten."""
        return [f for f in self.files if f.size is not None and (Path(folder) / f.name).is_file()
                and (Path(folder) / f.name).stat().st_size != f.size]


def read_record(folder: Path) -> DownloadRecord | None:
    """The record of ``folder``, or None when there is none or it cannot be read."""
    try:
        data = json.loads((Path(folder) / RECORD_NAME).read_text(encoding="utf-8"))
        return DownloadRecord(repo_id=data["repo_id"], revision=data["revision"], commit=data["commit"],
                              files=[RemoteFile.from_dict(f) for f in data["files"]],
                              completed=data.get("completed", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(folder: Path, record: DownloadRecord) -> None:
    """Write the record atomically (a reader sees the old record or the new one, never half)."""
    record.completed = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {"repo_id": record.repo_id, "revision": record.revision, "commit": record.commit,
            "completed": record.completed, "files": [f.to_dict() for f in record.files]}
    target = Path(folder) / RECORD_NAME
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, target)
