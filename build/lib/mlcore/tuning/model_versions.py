"""The model folders of one model name, and how they change places without ever being half-written.

Layout under the model path: see :mod:`mlcore.layout`.

Folders change places by ``rename``. Replacing an existing folder uses Linux's
``renameat2(RENAME_EXCHANGE)``, which swaps two folders in one step, so a reader opening
``<name>/`` sees the old model or the new one, never a mix and never nothing. Where the
filesystem or OS lacks it, two renames are used and ``<name>/`` is absent for that instant.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..layout import INCOMPLETE_SUFFIX, SET_ASIDE_DIR, VERSIONS_DIR, list_versions, temporary_dir, versions_dir
from .errors import NoPreviousVersionError, NoTemporaryModelError

DEFAULT_KEEP_VERSIONS = 3

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing folders atomically; False when the OS or filesystem cannot (nothing moved)."""
    function = _renameat2()
    if function is None:
        return False
    result = function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _fresh(folder: Path) -> Path:
    """A new path in ``folder`` named by the current time (suffixed when two moves share a microsecond)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / _stamp()
    candidate, counter = base, 0
    while candidate.exists():
        counter += 1
        candidate = base.with_name(f"{base.name}-{counter}")
    return candidate


def _remove(folder: Path) -> None:
    """Delete a folder, renaming it to a hidden name first so that a crash mid-way leaves no
    half-deleted folder under a name anything reads."""
    if not folder.exists():
        return
    doomed = folder.with_name(f".deleting-{folder.name}-{os.getpid()}")
    os.rename(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def replace_folder(new: Path, target: Path) -> Path | None:
    """Put ``new`` at ``target``. Returns where the replaced folder now is (``new``'s old path), or
    None when ``target`` did not exist."""
    if not target.exists():
        os.rename(new, target)
        return None
    if exchange(new, target):
        return new
    aside = new.with_name(f"{new.name}.replaced")
    os.rename(target, aside)
    os.rename(new, target)
    return aside


@contextlib.contextmanager
def _locked(root: Path, name: str) -> Iterator[None]:
    """Serialise promotions and rollbacks of one model name across processes."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: the component itself handles one message at a time
        yield
        return
    lock_path = Path(root) / VERSIONS_DIR / f"{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_temporary(root: Path, name: str, write: Callable[[Path], None]) -> Path:
    """Write a model with ``write(folder)`` into ``temp-<name>.incomplete``, then move it to
    ``temp-<name>`` (replacing an earlier one). A failed write leaves no ``temp-<name>``."""
    root = Path(root)
    target = temporary_dir(root, name)
    staging = target.with_name(target.name + INCOMPLETE_SUFFIX)
    if staging.exists():
        shutil.rmtree(staging)  # left by a crashed training
    try:
        write(staging)
        if not (staging / "config.json").is_file():
            raise RuntimeError(f"the trained model was not written completely to {staging}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replaced = replace_folder(staging, target)
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Promotion:
    model_dir: Path
    #: Where the model it replaced is kept (None when there was none).
    previous: Path | None
    #: Versions deleted to keep the bound.
    pruned: tuple[Path, ...] = ()


def promote(root: Path, name: str, keep_versions: int = DEFAULT_KEEP_VERSIONS) -> Promotion:
    """Make ``temp-<name>`` the model in use; the one it replaces becomes the newest kept version.

    Raises:
        NoTemporaryModelError: no ``temp-<name>`` (the seed's message).
    """
    root = Path(root)
    temp = temporary_dir(root, name)
    if not temp.is_dir():
        raise NoTemporaryModelError()
    current = root / name
    with _locked(root, name):
        replaced = replace_folder(temp, current)
        previous = None
        if replaced is not None:
            previous = _fresh(versions_dir(root, name))
            os.rename(replaced, previous)
        pruned = prune(root, name, keep_versions)
    return Promotion(model_dir=current, previous=previous, pruned=pruned)


def prune(root: Path, name: str, keep_versions: int) -> tuple[Path, ...]:
    """Delete the oldest kept versions (and set-aside models) beyond ``keep_versions``."""
    keep = max(0, int(keep_versions))
    removed: list[Path] = []
    for group in (list_versions(root, name), _set_aside(root, name)):
        for folder in group[:max(0, len(group) - keep)]:
            _remove(folder)
            removed.append(folder)
    return tuple(removed)


def _set_aside(root: Path, name: str) -> list[Path]:
    folder = versions_dir(root, name) / SET_ASIDE_DIR
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@dataclass(frozen=True)
class Rollback:
    model_dir: Path
    #: The kept version that is now in use again.
    restored: Path
    #: Where the model it replaced went: ``temp-<name>`` when free (an override promotes it again).
    replaced_to: Path | None


def rollback(root: Path, name: str) -> Rollback:
    """Put the newest kept version back in use. The model it replaces goes to ``temp-<name>`` when
    that is free, else under ``.versions/<name>/.set-aside/``; it is not a rollback candidate, so a
    second rollback goes one version further back.

    Raises:
        NoPreviousVersionError: no version kept.
    """
    root = Path(root)
    if not list_versions(root, name):
        raise _nothing_to_restore(root, name)
    with _locked(root, name):
        versions = list_versions(root, name)
        if not versions:  # another process rolled back meanwhile
            raise _nothing_to_restore(root, name)
        restored = versions[-1]
        current = root / name
        replaced = replace_folder(restored, current)
        replaced_to = None
        if replaced is not None:
            temp = temporary_dir(root, name)
            replaced_to = temp if not temp.exists() else _fresh(versions_dir(root, name) / SET_ASIDE_DIR)
            os.rename(replaced, replaced_to)
    return Rollback(model_dir=current, restored=restored, replaced_to=replaced_to)


def _nothing_to_restore(root: Path, name: str) -> NoPreviousVersionError:
    return NoPreviousVersionError(f"no earlier version of {name!r} is kept in {versions_dir(root, name)}: "
                                  f"nothing to roll back to")
