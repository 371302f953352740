"""Fetch one file of a repository into a staging folder, resuming what an earlier try left.

``huggingface_hub`` does the HTTP transfer (``http_get``: token headers, redirects, retries, and a
``Range`` request to resume when a connection drops). Around it, this module keeps the partial
file on disk between attempts (``.parts/<file>.<hash>.part``), so a restarted production resumes
where the last one stopped instead of starting the file again, and checks the finished file
against the size and hash the hub listed before it takes the file's final name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .environment import HubSettings
from .errors import FileIntegrityError, ModelDownloadError, ModelNotFound
from .progress import FileProgress, ProgressWriter
from .selection import RemoteFile

PARTS_DIR = ".parts"
_HASH_CHUNK = 8 << 20


class _SilentBar:
    """Stands in for tqdm inside ``http_get``: progress goes to our callback, not to stderr."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def part_path(staging: Path, remote: RemoteFile) -> Path:
    """Where the partial content of ``remote`` is kept; the hash in the name ties it to one version."""
    tag = (remote.sha256 or remote.blob_id or "unversioned")[:16]
    return staging / PARTS_DIR / f"{remote.name}.{tag}.part"


def fetch_file(settings: HubSettings, repo_id: str, commit: str, remote: RemoteFile, staging: Path,
               progress: FileProgress) -> Path:
    """Download ``remote`` at ``commit`` to ``staging/<name>`` (resuming a partial file) and verify it.

    Args:
        settings: endpoint and token to use.
        repo_id: the repository.
        commit: the commit hash the file list came from (so every file is of the same version).
        remote: the file, with the size and hash the hub listed.
        staging: the folder files are collected in before they take their final place.
        progress: receives the byte counts.

    Returns:
        The path of the verified file in ``staging``.

    Raises:
        ModelNotFound: the hub says the repository, revision or file does not exist, or refuses the token.
        ModelDownloadError: the hub is unreachable or the transfer failed (the partial file is kept).
        FileIntegrityError: the finished file has another size or hash than listed (it is deleted).
    """
    from huggingface_hub import hf_hub_url
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    part = part_path(staging, remote)
    part.parent.mkdir(parents=True, exist_ok=True)
    resume = part.stat().st_size if part.exists() else 0
    if remote.size is not None and resume > remote.size:
        part.unlink()
        resume = 0
    url = hf_hub_url(repo_id, remote.name, revision=commit, endpoint=settings.endpoint)
    headers = build_hf_headers(token=settings.token)
    try:
        with part.open("ab") as stream:
            http_get(url, ProgressWriter(stream, progress), resume_size=resume, headers=headers,
                     expected_size=remote.size, displayed_filename=remote.name, tqdm_class=_SilentBar)
    except (RepositoryNotFoundError, RevisionNotFoundError, GatedRepoError) as exc:
        raise ModelNotFound(f"{repo_id}: {remote.name} refused by {settings.endpoint}: {_first_line(exc)}"
                            + _token_hint(settings)) from exc
    except HfHubHTTPError as exc:
        raise ModelDownloadError(f"{repo_id}: {remote.name} failed: {_first_line(exc)}") from exc
    except OSError as exc:  # size check of http_get, disk full, and transport errors
        raise ModelDownloadError(f"{repo_id}: {remote.name} failed from {settings.endpoint}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("httpx"):
            raise ModelDownloadError(f"{repo_id}: could not download {remote.name} from {settings.endpoint}: "
                                     f"{exc or type(exc).__name__} (what arrived is kept and resumed next time)"
                                     ) from exc
        raise
    _verify(part, remote, repo_id)
    target = staging / remote.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)
    progress.finish()
    return target


def _verify(path: Path, remote: RemoteFile, repo_id: str) -> None:
    size = path.stat().st_size
    problem = None
    if remote.size is not None and size != remote.size:
        problem = f"{size} bytes instead of {remote.size}"
    elif remote.sha256 and _digest(path, hashlib.sha256()) != remote.sha256:
        problem = "sha256 differs from the hub's"
    elif not remote.sha256 and remote.blob_id and _digest(path, hashlib.sha1(b"blob %d\0" % size)) != remote.blob_id:
        problem = "git blob id differs from the hub's"
    if problem:
        path.unlink(missing_ok=True)
        raise FileIntegrityError(f"{repo_id}: {remote.name} discarded: {problem}; it will be downloaded again")


def _digest(path: Path, digest) -> str:
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _token_hint(settings: HubSettings) -> str:
    return "" if settings.token else " (for a private or gated model, set HF_TOKEN)"
