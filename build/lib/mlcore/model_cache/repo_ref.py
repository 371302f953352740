"""Read a ``model_url`` setting: ``https://huggingface.co/<repo>[/tree/<revision>]`` or a repo id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import InvalidModelUrl

_PART = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_REPO_ID = re.compile(rf"^{_PART}(/{_PART})?$")
_NOT_MODELS = ("datasets", "spaces", "buckets", "collections")


@dataclass(frozen=True)
class RepoRef:
    """A model repository and, when the URL names one (``.../tree/<rev>``), its revision."""

    repo_id: str
    revision: str | None = None

    @property
    def folder_name(self) -> str:
        """The model's folder name under the model path when no name is given: the repository's name."""
        return self.repo_id.rsplit("/", 1)[-1]


def parse_model_url(model_url: str) -> RepoRef:
    """``"https://huggingface.co/gpt2"`` → ``RepoRef("gpt2")``; ``"org/name"`` → ``RepoRef("org/name")``.

    The host of a URL is not used to download (``HF_ENDPOINT`` chooses the hub), so a URL copied
    from a mirror works too.

    Args:
        model_url: the setting's text.

    Returns:
        The repository id and the revision named in the URL, if any.

    Raises:
        InvalidModelUrl: empty, a dataset/space URL, or not shaped like a repo id.
    """
    text = (model_url or "").strip()
    if not text:
        raise InvalidModelUrl("model_url is empty: give https://huggingface.co/<repo> or a repo id like 'gpt2'")
    revision = None
    if "://" in text:
        parsed = urlsplit(text)
        if parsed.scheme not in ("http", "https"):
            raise InvalidModelUrl(f"model_url {text!r}: only http(s) URLs or repo ids are understood")
        parts = [unquote(p) for p in parsed.path.split("/") if p]
        if parts and parts[0] in _NOT_MODELS:
            raise InvalidModelUrl(f"model_url {text!r} is a {parts[0][:-1]}, not a model repository")
        if "tree" in parts[1:3]:
            index = parts.index("tree", 1)
            revision = "/".join(parts[index + 1:]) or None
            parts = parts[:index]
        elif "resolve" in parts[1:3] or "blob" in parts[1:3]:
            parts = parts[:[i for i, p in enumerate(parts) if p in ("resolve", "blob")][0]]
        repo_id = "/".join(parts)
    else:
        repo_id = text.strip("/")
    if not _REPO_ID.match(repo_id) or ".." in repo_id:
        raise InvalidModelUrl(f"model_url {text!r} does not name a model repository (expected <org>/<name> or <name>)")
    return RepoRef(repo_id=repo_id, revision=revision)
