"""Hub settings read from the environment at call time.

``huggingface_hub`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` once, when it is imported; reading
them here on every call lets a running production (and each test) change them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "ON", "YES", "TRUE"}


@dataclass(frozen=True)
class HubSettings:
    """Where to download from, with which token, and whether the network may be used."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None
    offline: bool = False

    def __repr__(self) -> str:  # never show the token
        return f"HubSettings(endpoint={self.endpoint!r}, token={'***' if self.token else None}, offline={self.offline})"


def hub_settings(environ: Mapping[str, str] | None = None) -> HubSettings:
    """``HF_ENDPOINT``, ``HF_TOKEN`` (or ``HUGGING_FACE_HUB_TOKEN``) and ``HF_HUB_OFFLINE`` as they are now.

    Args:
        environ: the environment to read (default: ``os.environ``).

    Returns:
        The settings; ``token`` is None when no token variable is set.
    """
    env = os.environ if environ is None else environ
    endpoint = (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    token = (env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN") or "").strip() or None
    offline = (env.get("HF_HUB_OFFLINE") or "").strip().upper() in _TRUE
    return HubSettings(endpoint=endpoint, token=token, offline=offline)
