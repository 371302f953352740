"""Make ``<path>/<name>/`` hold a model repository's needed files, downloading each file once.

States of the model folder and what a start does:

- complete (its download record matches and every recorded file is there): nothing, no request;
- some recorded files missing: fetch those from the recorded commit, nothing else (files changed
  since, e.g. fine-tuned weights, are reported and kept);
- absent: list the repository, fetch the needed files into ``<name>.incomplete/``, verify them,
  write the record, then rename the staging folder to ``<name>`` (one atomic step: the final name
  never holds a half-written model). An interrupted run leaves the staging folder, which the next
  run resumes;
- present without a record (a model copied in by hand): fetch only the needed files it lacks;
- recorded for another repository or revision: download the new one aside, keep the old folder
  as ``<name>.previous``.

Offline (``HF_HUB_OFFLINE=1``) a complete or hand-copied folder is used as it is; anything else
fails with :class:`ModelNotAvailableOffline`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import INCOMPLETE_SUFFIX, PREVIOUS_SUFFIX
from .environment import HubSettings, hub_settings
from .errors import ModelDownloadError, ModelNotAvailableOffline, ModelNotFound
from .progress import FileProgress, ProgressCallback, format_bytes
from .record import DownloadRecord, read_record, write_record
from .repo_ref import parse_model_url
from .selection import RemoteFile, is_weight_file, select_files
from .transfer import fetch_file

_PLAN_NAME = ".plan.json"

LogCallback = Callable[[str], None]


@dataclass
class DownloadOutcome:
    """What :func:`ensure_model` did.

    ``source`` is ``"cache"`` (nothing fetched), ``"download"`` (a new folder), ``"repair"``
    (missing files fetched into an existing folder) or ``"offline"`` (used without checking the hub).
    """

    folder: Path
    repo_id: str
    commit: str
    source: str
    fetched: list[str] = field(default_factory=list)
    fetched_bytes: int = 0
    needed_bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    skipped_bytes: int = 0


def ensure_model(model_url: str, folder: Path | str, *, revision: str | None = None,
                 progress: ProgressCallback | None = None, log: LogCallback | None = None,
                 environ: Mapping[str, str] | None = None) -> DownloadOutcome:
    """Make ``folder`` hold the model of ``model_url`` at ``revision``, fetching only what is missing.

    Args:
        model_url: ``https://huggingface.co/<repo>[/tree/<rev>]`` or a repo id.
        folder: the model folder, ``<path>/<name>``.
        revision: branch, tag or commit; default: the one in the URL, else ``main``.
        progress: receives per-file progress (throttled).
        log: receives one-line summaries (plan, cache hit, offline use, completion).
        environ: environment to read ``HF_ENDPOINT``, ``HF_TOKEN``, ``HF_HUB_OFFLINE`` from
            (default: ``os.environ``, read at this call).

    Returns:
        What was done, with the bytes fetched.

    Raises:
        InvalidModelUrl: ``model_url`` does not name a model repository.
        ModelNotAvailableOffline: offline and the folder is absent or incomplete.
        ModelNotFound: no such repository/revision, or it needs a (valid) ``HF_TOKEN``.
        NoUsableWeights: the repository has no safetensors or PyTorch weights.
        ModelDownloadError: the hub is unreachable or a transfer failed (partial work is kept).
    """
    from filelock import FileLock

    ref = parse_model_url(model_url)
    wanted = revision or ref.revision or "main"
    folder = Path(folder)
    settings = hub_settings(environ)
    say = log or (lambda _message: None)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Two items (or two processes) with the same model name must not download it side by side.
    with FileLock(str(folder.parent / f".{folder.name}.lock")):
        return _ensure(ref.repo_id, wanted, folder, settings, progress, say)


def _ensure(repo_id: str, revision: str, folder: Path, settings: HubSettings,
            progress: ProgressCallback | None, say: LogCallback) -> DownloadOutcome:
    record = read_record(folder)
    if record is not None and record.matches(repo_id, revision):
        changed = record.changed(folder)
        if changed:
            say(f"{folder.name}: {_names(changed)} differ from the downloaded version; kept as they are")
        missing = record.missing(folder)
        if not missing:
            mode = "offline mode: " if settings.offline else ""
            say(f"{folder.name}: {mode}model folder {folder} is complete ({repo_id} at {record.commit[:10]}, "
                f"{len(record.files)} files); nothing to download")
            return DownloadOutcome(folder, repo_id, record.commit, "offline" if settings.offline else "cache",
                                   needed_bytes=sum(f.size or 0 for f in record.files))
        if settings.offline:
            raise ModelNotAvailableOffline(
                f"{folder} lacks {_names(missing)} and offline mode (HF_HUB_OFFLINE) forbids downloading them")
        say(f"{folder.name}: {len(missing)} file(s) missing from {folder}: {_names(missing)}; fetching them again")
        outcome = DownloadOutcome(folder, repo_id, record.commit, "repair",
                                  needed_bytes=sum(f.size or 0 for f in record.files))
        _fill_in(folder, missing, record.commit, repo_id, settings, progress, say, outcome)
        return outcome

    has_files = folder.is_dir() and any(p.name != ".hub_download.json" for p in folder.iterdir())
    if settings.offline:
        if has_files and record is None:
            say(f"{folder.name}: offline mode: loading {folder} as it is (it has no download record to check)")
            return DownloadOutcome(folder, repo_id, "", "offline")
        raise ModelNotAvailableOffline(
            f"no downloaded model {repo_id!r} (revision {revision}) at {folder}, and offline mode "
            "(HF_HUB_OFFLINE) forbids downloading it: unset HF_HUB_OFFLINE or copy the model there")

    commit, files = _list_repository(repo_id, revision, settings)
    selection = select_files(files)
    outcome = DownloadOutcome(folder, repo_id, commit, "download", needed_bytes=selection.needed_bytes,
                              skipped=[f.name for f in selection.skipped], skipped_bytes=selection.skipped_bytes)
    new_record = DownloadRecord(repo_id=repo_id, revision=revision, commit=commit, files=selection.needed)
    say(f"{folder.name}: {repo_id} at {revision} ({commit[:10]}) has {len(files)} files; "
        f"{len(selection.needed)} needed ({format_bytes(selection.needed_bytes)}, {selection.weight_format} weights), "
        f"{len(selection.skipped)} left on the hub ({format_bytes(selection.skipped_bytes)})"
        + (f": {_names(selection.skipped)}" if selection.skipped else ""))

    if has_files and record is None:
        # A model copied in by hand, or promoted by a training: add what it lacks, never replace
        # what it has (its weights may be fine-tuned), and record the files as they are on disk.
        own_weights = any(is_weight_file(p.name) for p in folder.iterdir() if p.is_file())
        lacking = [f for f in selection.needed
                   if not (folder / f.name).exists() and not (own_weights and is_weight_file(f.name))]
        outcome.source = "repair"
        _fill_in(folder, lacking, commit, repo_id, settings, progress, say, outcome)
        present = {f.name for f in selection.needed if (folder / f.name).is_file()}
        present |= {p.name for p in folder.iterdir() if p.is_file() and is_weight_file(p.name)}
        new_record.files = [RemoteFile(name, size=(folder / name).stat().st_size) for name in sorted(present)]
        write_record(folder, new_record)
        return outcome

    staging = _staging_for(folder, commit)
    started = time.monotonic()
    _fetch_all(staging, selection.needed, commit, repo_id, settings, progress, outcome)
    write_record(staging, new_record)
    shutil.rmtree(staging / ".parts", ignore_errors=True)
    (staging / _PLAN_NAME).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # an empty folder made by hand holds nothing to keep
    if folder.exists():  # recorded for another repository or revision: keep it aside, restorable
        previous = folder.with_name(folder.name + PREVIOUS_SUFFIX)
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(folder, previous)
        say(f"{folder.name}: the former model ({record.repo_id if record else 'unknown'}) is kept in {previous}")
    os.replace(staging, folder)
    say(f"{folder.name}: download complete, {format_bytes(outcome.fetched_bytes)} fetched in "
        f"{time.monotonic() - started:.1f} s; model folder {folder}")
    return outcome


def _list_repository(repo_id: str, revision: str, settings: HubSettings) -> tuple[str, list[RemoteFile]]:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    api = HfApi(endpoint=settings.endpoint, token=settings.token)
    try:
        info = api.model_info(repo_id, revision=revision, files_metadata=True)
    except (RepositoryNotFoundError, RevisionNotFoundError, GatedRepoError) as exc:
        hint = "" if settings.token else " (for a private or gated model, set HF_TOKEN)"
        raise ModelNotFound(f"{repo_id} at revision {revision!r} not available from {settings.endpoint}: "
                            f"{_first_line(exc)}{hint}") from exc
    except HfHubHTTPError as exc:
        raise ModelDownloadError(f"{repo_id}: listing failed at {settings.endpoint}: {_first_line(exc)}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("httpx") or isinstance(exc, OSError):
            raise ModelDownloadError(f"{repo_id}: could not reach {settings.endpoint}: {exc or type(exc).__name__}"
                                     ) from exc
        raise
    files = [RemoteFile(name=s.rfilename, size=s.lfs.size if s.lfs else s.size,
                        sha256=s.lfs.sha256 if s.lfs else None, blob_id=s.blob_id) for s in info.siblings or []]
    return info.sha or revision, files


def _staging_for(folder: Path, commit: str) -> Path:
    """The staging folder, reused when an earlier run left one for the same commit."""
    staging = folder.with_name(folder.name + INCOMPLETE_SUFFIX)
    plan = staging / _PLAN_NAME
    if staging.exists() and (not plan.is_file() or plan.read_text(encoding="utf-8").strip() != commit):
        shutil.rmtree(staging)
    staging.mkdir(parents=True, exist_ok=True)
    plan.write_text(commit, encoding="utf-8")
    return staging


def _fetch_all(staging: Path, files: list[RemoteFile], commit: str, repo_id: str, settings: HubSettings,
               progress: ProgressCallback | None, outcome: DownloadOutcome) -> None:
    for index, remote in enumerate(files, start=1):
        if _same_size(staging / remote.name, remote.size):
            continue  # fetched and verified by an earlier, interrupted run
        part_size = _part_size(staging, remote)
        tracker = FileProgress(progress, outcome.folder.name, remote.name, remote.size, index, len(files),
                               already=part_size)
        fetch_file(settings, repo_id, commit, remote, staging, tracker)
        outcome.fetched.append(remote.name)
        outcome.fetched_bytes += (remote.size or (staging / remote.name).stat().st_size) - part_size


def _fill_in(folder: Path, files: list[RemoteFile], commit: str, repo_id: str, settings: HubSettings,
             progress: ProgressCallback | None, say: LogCallback, outcome: DownloadOutcome) -> None:
    """Fetch ``files`` into the staging folder, then move each verified file into ``folder``."""
    if not files:
        return
    staging = _staging_for(folder, commit)
    _fetch_all(staging, files, commit, repo_id, settings, progress, outcome)
    for remote in files:
        target = folder / remote.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / remote.name, target)
    shutil.rmtree(staging, ignore_errors=True)
    say(f"{folder.name}: fetched {_names(files)} ({format_bytes(outcome.fetched_bytes)}) into {folder}")


def _part_size(staging: Path, remote: RemoteFile) -> int:
    from .transfer import part_path

    part = part_path(staging, remote)
    return part.stat().st_size if part.is_file() else 0


def _same_size(path: Path, size: int | None) -> bool:
    return path.is_file() and (size is None or path.stat().st_size == size)


def _names(files: list[RemoteFile], limit: int = 8) -> str:
    names = [f.name for f in files]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
