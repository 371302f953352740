"""The image's recipe as Docker reads it, for tests that check it or rehearse it without Docker:
the Dockerfile's instructions and ENV, and the build context (.dockerignore, with Docker's matching)."""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import shutil
from pathlib import Path

from .checkout import ROOT


def instructions() -> list[str]:
    """The Dockerfile's instructions, one string each: comment lines dropped (inside a continued
    instruction too, as Docker does), continuation lines joined."""
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines).replace("\\\n", " ")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def env() -> dict[str, str]:
    """The variables of the Dockerfile's ENV instructions."""
    variables: dict[str, str] = {}
    for line in instructions():
        if line.startswith("ENV "):
            variables.update(word.split("=", 1) for word in shlex.split(line[4:]))
    return variables


def arg(name: str) -> str:
    """The default of the Dockerfile's ``ARG name=...``."""
    return next(line.split("=", 1)[1] for line in instructions() if line.startswith(f"ARG {name}="))


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker compiles it (moby/patternmatcher): ``**`` any number of folders,
    ``*`` and ``?`` within one name, anchored at the context's root."""
    pattern = posixpath.normpath(pattern).lstrip("/")
    regex, i = "^", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2 + pattern.startswith("/", i + 2)
            regex += ".*" if i >= len(pattern) else "(.*/)?"
            continue
        char = pattern[i]
        regex += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char) if char not in "[]-^" else char)
        i += 1
    return re.compile(regex + "$")


def ignored(path: str) -> bool:
    """Docker's rule: the last pattern matching the path, or a folder above it, decides (``!`` keeps)."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for line in lines:
        if any(_pattern(line.removeprefix("!")).match(prefix) for prefix in prefixes):
            result = not line.startswith("!")
    return result


def copy_build_context(destination: Path) -> Path:
    """What ``COPY . .`` puts in the image: the checkout less what .dockerignore keeps out."""
    for folder, subfolders, files in os.walk(ROOT):
        relative = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if relative == "." else relative + "/"
        subfolders[:] = [name for name in subfolders if not ignored(prefix + name)]
        for name in files:
            if not ignored(prefix + name):
                (destination / prefix).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, destination / prefix / name)
    return destination
