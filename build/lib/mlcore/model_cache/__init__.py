"""The model cache: a Hugging Face model repository downloaded once into ``<path>/<name>/``.

Only the files a ``transformers`` pipeline needs cross the network; a complete folder is reused
without any request; interrupted downloads resume; the final folder is never half-written.
"""

from .cache import DownloadOutcome, ensure_model
from .environment import HubSettings, hub_settings
from .errors import (
    FileIntegrityError,
    InvalidModelUrl,
    ModelCacheError,
    ModelDownloadError,
    ModelNotAvailableOffline,
    ModelNotFound,
    NoUsableWeights,
)
from .progress import DownloadProgress, ProgressCallback
from .repo_ref import RepoRef, parse_model_url
from .selection import RemoteFile, Selection, select_files

__all__ = [
    "DownloadOutcome", "DownloadProgress", "FileIntegrityError", "HubSettings", "InvalidModelUrl",
    "ModelCacheError", "ModelDownloadError", "ModelNotAvailableOffline", "ModelNotFound", "NoUsableWeights",
    "ProgressCallback", "RemoteFile", "RepoRef", "Selection", "ensure_model", "hub_settings", "parse_model_url",
    "select_files",
]
