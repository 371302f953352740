"""Failures of the model cache, one class per case a caller can act on."""

from __future__ import annotations


class ModelCacheError(RuntimeError):
    """Base class: the model folder could not be made ready."""


class InvalidModelUrl(ModelCacheError, ValueError):
    """``model_url`` is neither ``https://huggingface.co/<repo>`` nor a repo id."""


class ModelNotAvailableOffline(ModelCacheError):
    """Offline mode (``HF_HUB_OFFLINE``) is on and the model folder is absent or incomplete."""


class ModelDownloadError(ModelCacheError):
    """The hub could not be reached or refused a request; the message names the file and cause.

    What was fetched so far is kept in the staging folder and reused by the next attempt.
    """


class ModelNotFound(ModelDownloadError):
    """The repository or revision does not exist, or is private/gated and no valid ``HF_TOKEN`` is set."""


class FileIntegrityError(ModelDownloadError):
    """A downloaded file does not match the size or hash the hub announced; it was discarded."""


class NoUsableWeights(ModelCacheError):
    """The repository has no PyTorch-loadable weights (safetensors or ``pytorch_model.bin``)."""
